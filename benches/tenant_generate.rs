//! How long the tenant generator takes for 100,000 users and 2,000 groups (DESIGN.md: "100,000
//! users generate in seconds"), and how long the Graph simulator takes to load it.
//! Run: `cargo bench --bench tenant_generate`.

use std::time::Instant;

use nowsync::sim::graph::{Options, Sim};
use nowsync::sim::tenant::Tenant;

fn main() {
    for (users, groups) in [(10_000, 500), (100_000, 2_000)] {
        let started = Instant::now();
        let tenant = Tenant::generate(42, users, groups);
        let generated = started.elapsed();
        let members: usize = tenant.groups.iter().map(|g| g.members.len()).sum();
        let started = Instant::now();
        let sim = Sim::with_tenant(tenant, Options::default());
        let loaded = started.elapsed();
        let started = Instant::now();
        let seed = sim.tenant().snow_seed_users(users / 10);
        println!(
            "tenant_generate users={users} groups={groups} memberships={members} assignments={} \
             generate={:.3}s load={:.3}s snow_seed({})={:.3}s",
            sim.tenant().assignments.len(),
            generated.as_secs_f64(),
            loaded.as_secs_f64(),
            seed.len(),
            started.elapsed().as_secs_f64()
        );
    }
}
