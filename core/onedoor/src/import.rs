//! Loading a deployment (centres, halls, units, staff, matters, bundles) from files.
