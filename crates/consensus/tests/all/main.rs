//! Integration tests of cove under Malachite consensus: validators in one process on
//! loopback.

mod cluster;
mod harness;
mod home;
