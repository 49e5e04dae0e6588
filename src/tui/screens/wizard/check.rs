//! Whether a wizard step may be left with Enter: its fields' problems (the instance as
//! `Instance::parse` reads it, empty names and secrets, GUIDs checked as GUIDs, the email as
//! the configuration checks it), and which steps show theirs (issue 14: an empty field is not
//! an error before anything was typed).

use super::{Step, Wizard};

impl Wizard {
    /// The first problem of `step`'s fields, if any.
    pub fn problem(&self, step: Step) -> Option<String> {
        match step {
            Step::Instance => self.instance().err().map(|e| e.to_string()),
            Step::Credentials => {
                if self.inputs.username.value().trim().is_empty() {
                    Some("the admin user name is empty".to_owned())
                } else if self.inputs.password.value().is_empty() {
                    Some("the password is empty".to_owned())
                } else {
                    self.oauth_problem()
                }
            }
            Step::Entra => self.entra_target().err().map(|e| e.to_string()),
            Step::Notification => {
                let email = self.inputs.email.value().trim();
                let bad = !email.is_empty() && self.validation().err().is_some_and(|e| e.to_string().contains("email"));
                bad.then(|| {
                    format!(
                        "'{}' is not an email address",
                        crate::model::text::sanitize_for_terminal(email)
                    )
                })
            }
            Step::Test | Step::Review => None,
        }
    }

    /// Whether `step` is marked invalid: it has a problem, and the admin tried to leave it,
    /// typed in it, or it holds values already (not counting secrets from the environment).
    pub fn marked(&self, step: Step) -> bool {
        let seen = self.tried.contains(&step)
            || self.touched.contains(&step)
            || step
                .fields()
                .iter()
                // A secret the environment gives is no value the admin typed (F17).
                .any(|f| self.from_env(*f).is_none() && self.inputs.get(*f).is_some_and(|i| !i.value().is_empty()));
        seen && self.problem(step).is_some()
    }
}
