//! Reads a GP Connect structured record (an STU3 CareConnect `Bundle`) into the shared
//! timeline model.
