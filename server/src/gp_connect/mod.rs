//! A GP record read as England shares it: GP Connect Access Record: Structured, one FHIR STU3
//! operation (`POST [base]/Patient/$gpc.getstructuredrecord`) answered by the GP system,
//! directly or through the Spine Secure Proxy, mapped into the same timeline as R4 sources.

pub mod structured;
