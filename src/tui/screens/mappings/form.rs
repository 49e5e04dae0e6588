//! The form that edits one attribute mapping of the working copy (or adds one): mapping type,
//! source, target, default, when to apply, matching precedence.

use crossterm::event::{Event as CtEvent, KeyCode, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use crate::mapping::model::raw::RawAttributeMapping;

/// Why the form's fields are not a mapping yet.
#[derive(Debug, thiserror::Error)]
pub enum FormError {
    /// `source`: why it is not a number (none when it is 0).
    #[error("matching: expected a whole number from 1 (got {given:?})")]
    Matching {
        given: String,
        #[source]
        source: Option<std::num::ParseIntError>,
    },
}

/// Where a mapping's value comes from, as the form cycles it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Direct,
    Constant,
    Expression,
    None,
}

impl Kind {
    pub fn word(self) -> &'static str {
        match self {
            Kind::Direct => "Direct",
            Kind::Constant => "Constant",
            Kind::Expression => "Expression",
            Kind::None => "None",
        }
    }

    fn next(self, back: bool) -> Kind {
        const ALL: [Kind; 4] = [Kind::Direct, Kind::Constant, Kind::Expression, Kind::None];
        let i = ALL.iter().position(|k| *k == self).unwrap_or(0);
        ALL[if back { (i + 3) % 4 } else { (i + 1) % 4 }]
    }
}

/// The form's fields, in focus order.
pub const FORM_FIELDS: [&str; 6] = [
    "Mapping type",
    "Source / value / expression",
    "Target attribute",
    "Default value if null",
    "Apply this mapping",
    "Matching precedence",
];

/// The form that edits one attribute mapping (or adds one).
#[derive(Debug, Clone)]
pub struct Form {
    /// The row edited; `None` adds a row at the end.
    pub index: Option<usize>,
    pub kind: Kind,
    pub source: Input,
    pub target: Input,
    pub default: Input,
    pub on_create: bool,
    pub matching: Input,
    pub focus: usize,
    /// What the form does not show (type, reference), kept as it was.
    base: RawAttributeMapping,
    /// Why the last Enter was refused, one problem a line.
    pub problems: Vec<String>,
}

impl Form {
    pub(super) fn new(index: Option<usize>, base: RawAttributeMapping) -> Self {
        let (kind, source) = if let Some(s) = &base.source {
            (Kind::Direct, s.clone())
        } else if let Some(c) = &base.constant {
            (Kind::Constant, c.clone())
        } else if let Some(e) = &base.expression {
            (Kind::Expression, e.clone())
        } else if base.none {
            (Kind::None, String::new())
        } else {
            (Kind::Direct, String::new())
        };
        Self {
            index,
            kind,
            source: Input::new(source),
            target: Input::new(base.target.clone()),
            default: Input::new(base.default.clone().unwrap_or_default()),
            on_create: base.apply.as_deref() == Some("on_create"),
            matching: Input::new(base.matching.map(|m| m.to_string()).unwrap_or_default()),
            focus: 0,
            base,
            problems: Vec::new(),
        }
    }

    /// Whether the focused field takes typed text.
    pub fn in_text_field(&self) -> bool {
        matches!(self.focus, 1 | 2 | 3 | 5)
    }

    /// The mapping as the form says, or why it cannot be one.
    pub(super) fn to_raw(&self) -> Result<RawAttributeMapping, FormError> {
        let mut raw = self.base.clone();
        let text = self.source.value().trim().to_owned();
        raw.source = None;
        raw.constant = None;
        raw.expression = None;
        raw.none = false;
        match self.kind {
            Kind::Direct => raw.source = Some(text),
            Kind::Constant => raw.constant = Some(self.source.value().to_owned()),
            Kind::Expression => raw.expression = Some(text),
            Kind::None => raw.none = true,
        }
        raw.target = self.target.value().trim().to_owned();
        let default = self.default.value();
        raw.default = (!default.is_empty()).then(|| default.to_owned());
        raw.apply = self.on_create.then(|| "on_create".to_owned());
        let matching = self.matching.value().trim();
        raw.matching = if matching.is_empty() {
            None
        } else {
            match matching.parse::<u32>() {
                Ok(n) if n >= 1 => Some(n),
                Ok(_) => {
                    return Err(FormError::Matching {
                        given: matching.to_owned(),
                        source: None,
                    });
                }
                Err(e) => {
                    return Err(FormError::Matching {
                        given: matching.to_owned(),
                        source: Some(e),
                    });
                }
            }
        };
        Ok(raw)
    }

    /// A key for the form; `true` when it changed a value.
    pub(super) fn key(&mut self, key: KeyEvent) -> bool {
        match key.code {
            KeyCode::Down | KeyCode::Tab => self.focus = (self.focus + 1) % FORM_FIELDS.len(),
            KeyCode::Up | KeyCode::BackTab => self.focus = (self.focus + FORM_FIELDS.len() - 1) % FORM_FIELDS.len(),
            KeyCode::Left | KeyCode::Right | KeyCode::Char(' ') if self.focus == 0 => {
                self.kind = self.kind.next(key.code == KeyCode::Left);
                return true;
            }
            KeyCode::Left | KeyCode::Right | KeyCode::Char(' ') if self.focus == 4 => {
                self.on_create = !self.on_create;
                return true;
            }
            _ => {
                let input = match self.focus {
                    1 => &mut self.source,
                    2 => &mut self.target,
                    3 => &mut self.default,
                    5 => &mut self.matching,
                    _ => return false,
                };
                return input.handle_event(&CtEvent::Key(key)).is_some_and(|c| c.value);
            }
        }
        false
    }
}
