//! How a simulated instance behaves: the options it starts with (`Sim::new`), which
//! `/sim/faults` changes at run time and `/sim/faults/clear` restores.

use std::time::Duration;

use rand::Rng;
use rand::distr::Alphanumeric;

use super::acl::Hidden;
use super::extended::Sso;
use super::faults;
use super::refusals::Refusal;

/// How a simulated instance behaves. `Default` injects no latency, faults, throttling or
/// hibernation and generates a random admin password.
#[derive(Clone, Debug)]
pub struct Options {
    /// Seed of the generated data (sys_ids, users).
    pub seed: u64,
    /// Pre-existing `sys_user` rows besides the seeded accounts.
    pub snow_users: usize,
    /// Server time per Table API request (per Batch item), spent holding a semaphore slot.
    pub latency: Duration,
    /// API_INT slots.
    pub semaphore: usize,
    /// Requests that may wait for a slot; one more is refused with 429.
    pub queue: usize,
    /// Share of API requests answered with a random 500 or a dropped connection.
    pub fault_rate: f64,
    /// Persistent faults by phase and kind (`/sim/faults` `rates`).
    pub fault_rates: Vec<faults::Rate>,
    /// A list read of more rows is cancelled by the transaction quota after that many (200 with
    /// a partial result and the error, spec §13 #1).
    pub quota_max_rows: Option<usize>,
    /// An hourly per-user rate-limit rule (`X-RateLimit-*`, 429 + `Retry-After`).
    pub rate_limit_per_hour: Option<u32>,
    /// Every route answers the developer-instance hibernation page.
    pub hibernating: bool,
    /// Strings over the dictionary `max_length` are refused with 400 instead of cut.
    pub reject_too_long: bool,
    /// 4-byte UTF-8 characters (emoji) are stored as `?`, as on MariaDB-backed instances.
    pub four_byte_as_question: bool,
    /// Rows no caller may read (silent ACLs applied after `sysparm_limit`; `acl`).
    pub acl_hidden: Vec<Hidden>,
    /// Per-record refusals (data policy, business rule, unique key, ACL; `refusals`).
    pub refusals: Vec<Refusal>,
    /// The `instance_id` system property; `None`: a random one, as every instance has its own.
    pub instance_id: Option<String>,
    /// The `instance_name` system property (`dev12345` for `dev12345.service-now.com`).
    pub instance_name: String,
    /// The Multi-Provider SSO plugin and its identity providers.
    pub sso: Sso,
    /// For `world::build`: a tenant user that collides with the integration account (the
    /// admin nowsync signs in as): by email, or by user name (the admin's `user_name` becomes
    /// the user's UPN). The user's id is `tenant.planted.integration_account`.
    pub integration_collision: Option<Collision>,
    /// For `world::build`: rows of tables that extend `sys_user` (`customer_contact`,
    /// `csm_consumer_user`, alternately) carrying the emails of that many in-scope tenant users
    /// (`tenant.planted.extended_users`).
    pub extended_users: usize,
    /// A REST API access policy that does not accept Basic authentication: only OAuth Bearer
    /// tokens get in; everything else gets 401 with `WWW-Authenticate: BEARER`.
    pub refuse_basic: bool,
    pub admin_user: String,
    pub admin_password: String,
}

pub(super) fn random_password() -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(20)
        .map(char::from)
        .collect()
}

impl Default for Options {
    fn default() -> Options {
        Options {
            seed: 1,
            snow_users: 20,
            latency: Duration::ZERO,
            semaphore: 4,
            queue: 50,
            fault_rate: 0.0,
            fault_rates: Vec::new(),
            quota_max_rows: None,
            rate_limit_per_hour: None,
            hibernating: false,
            reject_too_long: false,
            four_byte_as_question: false,
            acl_hidden: Vec::new(),
            refusals: Vec::new(),
            instance_id: None,
            instance_name: "nowsyncsim".to_owned(),
            sso: Sso::Absent,
            integration_collision: None,
            extended_users: 0,
            refuse_basic: false,
            admin_user: "admin".to_owned(),
            admin_password: random_password(),
        }
    }
}

/// How a planted tenant user collides with the integration account (`Options`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Collision {
    /// The user's `mail` is the admin's email.
    Email,
    /// The admin's `user_name` is the user's UPN.
    UserName,
}
