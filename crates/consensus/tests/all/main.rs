//! Integration tests of cove under Malachite consensus: validators in one process on
//! loopback.

mod cluster;
mod faults;
mod harness;
mod home;
mod join;
mod relay;
