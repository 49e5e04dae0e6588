use super::*;

#[test]
fn every_action_key_travels_over_the_socket_as_its_own_command() {
    for command in [
        Command::Reconcile { dry_run: false },
        Command::Reconcile { dry_run: true },
        Command::RunNow,
        Command::Stop,
        Command::SearchUsers {
            request: 3,
            text: "ann".into(),
            limit: 5,
        },
    ] {
        let words = crate::door::proto::words(&command);
        let Ok(Outgoing::Command(sent)) = wire(command.clone()) else {
            panic!("{command:?} travels as itself");
        };
        assert_eq!(crate::door::proto::words(&sent), words, "{command:?}");
    }
    assert!(matches!(
        wire(Command::Reconcile { dry_run: false }),
        Ok(Outgoing::Command(Command::Reconcile { dry_run: false }))
    ));
    let answered_here = |command| match wire(command) {
        Err(answer) => matches!(*answer, SyncEvent::Answer { request: 7, .. }),
        Ok(_) => false,
    };
    assert!(answered_here(Command::TestConnection { request: 7 }));
}
