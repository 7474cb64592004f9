//! One scheduler per fleet: three `keyway serve` processes sharing keyway's records (one SQLite file, or one
//! PostgreSQL database: Debian's package on a free loopback port) renew a secret from one node only, the
//! holder of the scheduler lease; when that node is killed (SIGKILL: no release), another takes the scheduler
//! over within the lease's lifetime and renewals go on.

use crate::service::Server;
use crate::support::{json, random_key, Sandbox};
use keyway_integration_tests::postgres::Postgres;
use std::time::{Duration, Instant};

const TOOK: &str = "this node runs the fleet's scheduler";

fn versions(sandbox: &Sandbox) -> usize {
    let listed = json(&sandbox.run(&["versions", "local/app/rotating", "--json"]).ok());
    listed.as_array().map_or(0, Vec::len)
}

/// Polls until `done` holds or `limit` passes; whether it held.
fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    done()
}

const RENEWING: &str = "  local:\n    plugin: local\n    renewal:\n      - names: \"app/*\"\n        every: 2s\n        type: api-key\n        policy: { api_key: { length: 48, prefix: \"kw_\" } }\n";

#[test]
fn on_sqlite_one_node_of_three_schedules_and_another_takes_over_when_it_dies() {
    let mut sandbox = Sandbox::new("fleet-scheduler");
    sandbox.configure(RENEWING);
    one_schedules_and_another_takes_over(&sandbox);
}

#[test]
fn on_postgres_one_node_of_three_schedules_and_another_takes_over_when_it_dies() {
    let postgres = Postgres::start();
    postgres.create_database("scheduler");
    let mut sandbox = Sandbox::new("fleet-scheduler-pg");
    let config = sandbox.configure(RENEWING);
    let text = std::fs::read_to_string(&config).expect("the configuration");
    let catalog = format!("catalog: {{ url: \"{}\", key: \"{}\" }}\n", postgres.url("scheduler"), random_key());
    std::fs::write(&config, format!("{catalog}{text}")).expect("the configuration with its catalog");
    one_schedules_and_another_takes_over(&sandbox);
}

fn one_schedules_and_another_takes_over(sandbox: &Sandbox) {
    sandbox.run(&["put", "local/app/rotating", "kw_first-value-000004", "--type", "api-key"]).ok();
    let mut nodes: Vec<Server> = (0..3).map(|_| Server::start(sandbox, &[])).collect();

    let holders = |nodes: &[Server]| nodes.iter().filter(|node| node.log().contains(TOOK)).count();
    assert!(wait_until(Duration::from_secs(20), || holders(&nodes) >= 1), "a node takes the scheduler");
    let before = versions(sandbox);
    assert!(wait_until(Duration::from_secs(30), || versions(sandbox) >= before + 2), "renewals run");
    assert_eq!(holders(&nodes), 1, "exactly one node ever took the scheduler while all three ran");
    let leader = nodes.iter().position(|node| node.log().contains(TOOK)).expect("the holder");
    for (index, node) in nodes.iter().enumerate() {
        let renewed = node.log().contains("renewed");
        assert_eq!(renewed, index == leader, "only the scheduler renews (node {index}): {}", node.log());
    }

    // The holder dies without releasing its lease: another node takes over once the lease lapses.
    let killed = nodes.remove(leader);
    let status = std::process::Command::new("kill").args(["-KILL", &killed.pid().to_string()]).status();
    assert!(status.is_ok_and(|status| status.success()));
    let died = Instant::now();
    assert!(
        wait_until(Duration::from_secs(10), || holders(&nodes) == 1),
        "another node takes the scheduler over within 10 s of the holder's death"
    );
    let took_over_in = died.elapsed();
    let after = versions(sandbox);
    assert!(wait_until(Duration::from_secs(20), || versions(sandbox) > after), "renewals go on from the new scheduler");
    let successor = nodes.iter().find(|node| node.log().contains(TOOK)).expect("the successor");
    // Its log line follows the new version in the records by a moment.
    assert!(
        wait_until(Duration::from_secs(5), || successor.log().contains("renewed")),
        "the successor renews: {}",
        successor.log()
    );
    eprintln!("the scheduler moved to another node {:.1} s after its holder was killed", took_over_in.as_secs_f64());
    drop(killed);
    for mut node in nodes {
        node.stop();
    }
}
