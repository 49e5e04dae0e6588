//! State-machine tests of the expression editor: keys and engine answers in, effects and
//! the evaluated value out.

use super::*;
use crossterm::event::KeyModifiers;

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

#[test]
fn editor_evaluates_as_typed_and_searches_through_the_engine() {
    let mut m = State::new(crate::mapping::model::defaults().map_err(Into::into));
    m.open_editor(Utc::now());
    let editor = m.editor.as_mut().unwrap();
    editor.expr = Input::new(String::new());
    for c in "Left([userPrincipalName], 3)".chars() {
        m.editor_key(key(KeyCode::Char(c)));
    }
    assert!(
        m.editor.as_ref().unwrap().result.is_ok(),
        "no user yet: evaluates on nulls"
    );
    m.editor_key(key(KeyCode::Tab));
    for c in "ad".chars() {
        m.editor_key(key(KeyCode::Char(c)));
    }
    let effects = m.editor_key(key(KeyCode::Enter));
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
    m.editor_key(key(KeyCode::Tab));
    m.editor_key(key(KeyCode::Backspace));
    let result = m.editor.as_ref().unwrap().result.clone();
    assert!(result.is_err_and(|e| e.contains('^')), "a parse error with a caret");
}

#[test]
fn editor_evaluates_against_the_source_attributes_the_engine_answers() {
    let mut m = State::new(crate::mapping::model::defaults().map_err(Into::into));
    m.open_editor(Utc::now());
    m.editor.as_mut().unwrap().expr = Input::new(r#"Join(" / ", [givenName], [department])"#.into());
    m.editor_key(key(KeyCode::Tab));
    let effects = m.editor_key(key(KeyCode::Enter));
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
    m.editor_key(key(KeyCode::BackTab));
    m.editor_key(key(KeyCode::End));
    assert_eq!(m.editor.as_ref().unwrap().result, Ok("Adele / Retail".into()));
    assert!(!m.answer(*request, &Answer::Failed("late".into())).0);
    // Another user: its own request, and the first one's attributes are not used for it.
    m.editor_key(key(KeyCode::Tab));
    let effects = m.editor_key(key(KeyCode::Down));
    let [_, Effect::Engine(Command::SourceAttributes { request, user_id })] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(user_id, "id2");
    assert_eq!(m.editor.as_ref().unwrap().result, Ok("null".into()));
    m.answer(*request, &Answer::Failed("403 Forbidden".into()));
    let result = m.editor.as_ref().unwrap().result.clone();
    assert!(result.is_err_and(|e| e.contains("403")));
    // Back to the first user: its attributes are no longer held, so they are asked again.
    let effects = m.editor_key(key(KeyCode::Up));
    assert_eq!(effects.len(), 2, "{effects:?}");
}
