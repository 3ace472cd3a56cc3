//! The pieces of `nyckel-loadgen` that `nyckel-oidcbench` uses too: the
//! holders file, latency percentiles and CPU time from `/proc`.

pub mod holders;
pub mod proc_stat;
pub mod stats;
