//! State-machine tests of the expression editor: keys and engine answers in, effects and
//! the evaluated value out.

use super::*;
use crate::tui::app::{Action as AppAction, Overlay, Shared};
use crossterm::event::KeyModifiers;

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

#[test]
fn editor_evaluates_as_typed_and_searches_through_the_engine() {
    let mut shared = Shared::default();
    let mut m = State::new(crate::mapping::model::defaults().map_err(Into::into));
    m.open_editor(Utc::now());
    let editor = m.editor.as_mut().unwrap();
    editor.expr = Input::new(String::new());
    for c in "Left([userPrincipalName], 3)".chars() {
        m.editor_key(key(KeyCode::Char(c)), &mut shared);
    }
    assert!(
        m.editor.as_ref().unwrap().result.is_ok(),
        "no user yet: evaluates on nulls"
    );
    m.editor_key(key(KeyCode::Tab), &mut shared);
    for c in "ad".chars() {
        m.editor_key(key(KeyCode::Char(c)), &mut shared);
    }
    let effects = m.editor_key(key(KeyCode::Enter), &mut shared);
    let [Effect::Engine(Command::SearchUsers { request, text, .. })] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(text, "ad");
    let users = Answer::Users(vec![("id1".into(), "adele@contoso.com".into(), Some("Adele".into()))]);
    let (mine, effects) = m.answer(*request, &users);
    assert!(mine);
    assert!(matches!(
        effects.as_slice(),
        [
            Effect::Engine(Command::EvaluateUser { .. }),
            Effect::Engine(Command::SourceAttributes { .. })
        ]
    ));
    assert_eq!(m.editor.as_ref().unwrap().result, Ok("ade".into()));
    m.editor_key(key(KeyCode::Tab), &mut shared);
    m.editor_key(key(KeyCode::Backspace), &mut shared);
    let result = m.editor.as_ref().unwrap().result.clone();
    assert!(result.is_err_and(|e| e.contains('^')), "a parse error with a caret");
}

#[test]
fn editor_evaluates_against_the_source_attributes_the_engine_answers() {
    let mut shared = Shared::default();
    let mut m = State::new(crate::mapping::model::defaults().map_err(Into::into));
    m.open_editor(Utc::now());
    m.editor.as_mut().unwrap().expr = Input::new(r#"Join(" / ", [givenName], [department])"#.into());
    m.editor_key(key(KeyCode::Tab), &mut shared);
    let effects = m.editor_key(key(KeyCode::Enter), &mut shared);
    let [Effect::Engine(Command::SearchUsers { request, .. })] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let users = Answer::Users(vec![
        ("id1".into(), "adele@contoso.com".into(), Some("Adele".into())),
        ("id2".into(), "alex@contoso.com".into(), None),
    ]);
    let (_, effects) = m.answer(*request, &users);
    let [_, Effect::Engine(Command::SourceAttributes { request, user_id })] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(user_id, "id1");
    // Until the attributes arrive, only the search's three are known.
    assert_eq!(m.editor.as_ref().unwrap().result, Ok("null".into()));
    let attributes = [("givenName", "Adele"), ("department", "Retail")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), Value::Str(v.to_owned())))
        .collect();
    let (mine, effects) = m.answer(*request, &Answer::SourceAttributes { attributes });
    assert!(mine && effects.is_empty());
    assert_eq!(m.editor.as_ref().unwrap().result, Ok("Adele / Retail".into()));
    // Typing re-evaluates on them; an answer for a request no longer pending is not ours.
    m.editor_key(key(KeyCode::BackTab), &mut shared);
    m.editor_key(key(KeyCode::End), &mut shared);
    assert_eq!(m.editor.as_ref().unwrap().result, Ok("Adele / Retail".into()));
    assert!(
        !m.answer(
            *request,
            &Answer::Failed(crate::sync::AnswerError {
                kind: crate::sync::ErrorKind::Connection,
                message: "late".into(),
            })
        )
        .0
    );
    // Another user: its own request, and the first one's attributes are not used for it.
    m.editor_key(key(KeyCode::Tab), &mut shared);
    let effects = m.editor_key(key(KeyCode::Down), &mut shared);
    let [_, Effect::Engine(Command::SourceAttributes { request, user_id })] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(user_id, "id2");
    assert_eq!(m.editor.as_ref().unwrap().result, Ok("null".into()));
    m.answer(
        *request,
        &Answer::Failed(crate::sync::AnswerError {
            kind: crate::sync::ErrorKind::Connection,
            message: "403 Forbidden".into(),
        }),
    );
    let result = m.editor.as_ref().unwrap().result.clone();
    assert!(result.is_err_and(|e| e.contains("403")));
    // Back to the first user: its attributes are no longer held, so they are asked again.
    let effects = m.editor_key(key(KeyCode::Up), &mut shared);
    assert_eq!(effects.len(), 2, "{effects:?}");
}

#[test]
fn enter_applies_the_expression_to_its_mapping_and_esc_asks_before_dropping_an_edit() {
    // Regression (issue 14): Enter did nothing and Esc threw the edit away.
    let mut shared = Shared::default();
    let mut m = State::new(crate::mapping::model::defaults().map_err(Into::into));
    m.selected = 4;
    let target = m.doc.draft.object(false).unwrap().attributes[4].target.clone();
    m.open_editor(Utc::now());
    m.editor_key(key(KeyCode::Esc), &mut shared);
    assert!(m.editor.is_none(), "nothing edited: Esc closes");
    m.open_editor(Utc::now());
    m.editor.as_mut().unwrap().expr = Input::new("Left([jobTitle], 20)".into());
    m.editor_key(key(KeyCode::Esc), &mut shared);
    assert!(
        matches!(&shared.overlay, Overlay::Ask { yes, .. }
            if matches!(**yes, AppAction::Mappings(super::super::Action::CloseEditor))),
        "an edit is not dropped without asking"
    );
    assert!(m.editor.is_some());
    shared.overlay = Overlay::None;
    m.editor_key(key(KeyCode::Enter), &mut shared);
    assert!(m.editor.is_none(), "applied, the editor closes");
    let applied = &m.doc.draft.object(false).unwrap().attributes[4];
    assert_eq!(applied.target, target);
    assert_eq!(applied.expression.as_deref(), Some("Left([jobTitle], 20)"));
    assert!(
        m.doc.draft.dirty() && shared.status.contains("S saves"),
        "{}",
        shared.status
    );
    // A direct attribute stays a direct mapping; one that does not parse is refused.
    m.open_editor(Utc::now());
    m.editor.as_mut().unwrap().expr = Input::new("[department]".into());
    m.editor_key(key(KeyCode::Enter), &mut shared);
    assert_eq!(
        m.doc.draft.object(false).unwrap().attributes[4].source.as_deref(),
        Some("department")
    );
    m.open_editor(Utc::now());
    m.editor.as_mut().unwrap().expr = Input::new("Left([jobTitle], ".into());
    m.editor_key(key(KeyCode::Enter), &mut shared);
    assert!(
        m.editor.as_ref().is_some_and(|e| e.result.is_err()),
        "refused, still open"
    );
}

#[test]
fn the_edit_form_evaluates_its_source_for_the_user_last_picked() {
    let mut shared = Shared::default();
    let mut m = State::new(crate::mapping::model::defaults().map_err(Into::into));
    m.sample = Some((
        "adele@contoso.com".into(),
        [("jobTitle".to_owned(), Value::Str("Retail Manager".into()))]
            .into_iter()
            .collect(),
    ));
    m.update(super::super::Action::Edit, &mut shared);
    assert!(m.form_value.is_some(), "evaluated as it opens");
    let form = m.doc.draft.form.as_mut().unwrap();
    form.kind = super::super::Kind::Expression;
    form.source = Input::new("Left([jobTitle], 6".into());
    form.focus = 1;
    m.update(super::super::Action::FormKey(key(KeyCode::Char(')'))), &mut shared);
    assert_eq!(m.form_value, Some(Ok("Retail".to_owned())));
}
