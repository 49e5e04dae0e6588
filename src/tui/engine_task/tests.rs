use super::*;

#[test]
fn every_action_key_travels_over_the_socket_as_its_own_command() {
    let wired = |c| match wire(c) {
        Ok(w) => Some(w.words()),
        Err(_) => None,
    };
    assert_eq!(wired(Command::Reconcile { dry_run: false }), Some("reconcile now"));
    assert_eq!(
        wired(Command::Reconcile { dry_run: true }),
        Some("a dry run of a reconciliation")
    );
    assert_eq!(wired(Command::RunNow), Some("run now"));
    assert_eq!(wired(Command::Stop), Some("stop the engine"));
    assert!(matches!(
        wire(Command::Reconcile { dry_run: false }),
        Ok(WireCommand::Reconcile { dry_run: false })
    ));
}
