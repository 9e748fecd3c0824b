//! Demo mode's synthetic GP Connect provider: answers `$gpc.getstructuredrecord` with STU3
//! structured records for the demo population.
