//! Faults of the network and of a third of the validators or more: a validator cut off
//! and healed, two of four killed and restarted.

use std::time::{Duration, Instant};

use crate::cluster::{assert_finalized_once, send_all, wait_all_in};
use crate::harness::Cluster;

/// How long two survivors of four are watched for a block they must not finalize: 5 s,
/// twenty block times and more than three round-0 propose timeouts. An observation
/// window, not a bound on speed: the test fails only if a block appears in it.
const STALL: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_validator_cut_off_keeps_out_then_catches_up_when_healed() {
    let mut cluster = Cluster::new(4);
    cluster.start_all().await;
    cluster.wait_height(3, Duration::from_secs(60)).await;
    cluster.cut(3);
    let cut_at = cluster.height(3);
    // The other three keep finalizing, transactions included.
    let sent = send_all(&cluster, &[0, 1, 2], 5, Duration::from_secs(30)).await;
    wait_all_in(&cluster, &sent, Duration::from_secs(60)).await;
    let h = (0..3).map(|i| cluster.height(i)).max().unwrap_or(0).max(cut_at) + 3;
    cluster.wait_height_of(&[0, 1, 2], h, Duration::from_secs(60)).await;
    // Cut off, node 3 finished at most the height whose votes it already held.
    let alone = cluster.height(3);
    assert!(
        alone <= cut_at + 1,
        "node 3 went from {cut_at} to {alone} while cut off (the others are at {h})"
    );
    assert!(!cluster.node(3).halted(), "node 3 halted while cut off");
    // Healed, it learns the heights it missed by value sync and follows again.
    cluster.heal(3);
    cluster.wait_height(h + 2, Duration::from_secs(90)).await;
    cluster.assert_same_chain();
    assert_finalized_once(&cluster, 3, &sent);
    for i in 0..4 {
        cluster.kill(i).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_of_four_killed_finalize_nothing_then_resume_when_restarted() {
    let mut cluster = Cluster::new(4);
    cluster.start_all().await;
    cluster.wait_height(3, Duration::from_secs(60)).await;
    cluster.kill(2).await;
    cluster.kill(3).await;
    // A decision whose votes a survivor already held may still complete (and reach the
    // other survivor by value sync); none after it can: 2 of 4 is not a quorum.
    let at_kill = cluster.height(0).max(cluster.height(1));
    let sent = send_all(&cluster, &[0, 1], 3, Duration::from_secs(30)).await;
    let start = Instant::now();
    while start.elapsed() < STALL {
        for i in [0, 1] {
            let h = cluster.height(i);
            assert!(
                h <= at_kill + 1,
                "node {i} finalized height {h} with two of four validators down (at {at_kill})"
            );
            assert!(!cluster.node(i).halted(), "node {i} halted");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stuck = cluster.assert_same_chain();
    for h in &sent {
        for i in [0, 1] {
            let found = cluster.node(i).external().block_of_tx(h).expect("index");
            assert!(
                found.is_none(),
                "transaction {h} finalized in block {found:?} of node {i} without a quorum"
            );
        }
    }
    // Restarted, the two recover from their WAL and stores; the chain resumes.
    cluster.start(2).await;
    cluster.start(3).await;
    wait_all_in(&cluster, &sent, Duration::from_secs(90)).await;
    let top = (0..4).map(|i| cluster.height(i)).max().unwrap_or(0);
    cluster.wait_height(top.max(stuck + 2), Duration::from_secs(60)).await;
    let low = cluster.assert_same_chain();
    assert!(low > stuck, "the chain did not resume past {stuck}");
    for i in 0..4 {
        assert_finalized_once(&cluster, i, &sent);
    }
    for i in 0..4 {
        cluster.kill(i).await;
    }
}
