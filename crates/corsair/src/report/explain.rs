//! `corsair explain --format json`: one document per pasted message.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

use super::check::CheckReport;

/// One message explained: the core's reading of it ([`Message::to_json`], which the web page
/// reads too), then what `--live` found. Written with every key in alphabetical order, `live`
/// and `conclusion` among the message's, as the document has always been.
///
/// [`Message::to_json`]: corsair_core::console::Message::to_json
#[derive(Debug)]
pub struct ExplainReport {
    /// The message's fields (`browser`, `explained`, `url`, `error`, ...), as the core writes them.
    pub message: Map<String, Value>,
    /// The live check's document (`corsair check --format json`), with `--live`.
    pub live: Option<CheckReport>,
    /// With `--live`: `fixed`, `same` or `different`.
    pub conclusion: Option<&'static str>,
}

impl ExplainReport {
    /// The message's document (an object) with what `--live` adds.
    pub fn new(message: Value, live: Option<CheckReport>, conclusion: Option<&'static str>) -> ExplainReport {
        let message = match message {
            Value::Object(fields) => fields,
            _ => Map::new(),
        };
        ExplainReport { message, live, conclusion }
    }
}

impl Serialize for ExplainReport {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.message.len() + 2))?;
        let (mut conclusion, mut live) = (Some(&self.conclusion), Some(&self.live));
        for (key, value) in &self.message {
            if key.as_str() > "conclusion" {
                if let Some(c) = conclusion.take() {
                    map.serialize_entry("conclusion", c)?;
                }
            }
            if key.as_str() > "live" {
                if let Some(l) = live.take() {
                    map.serialize_entry("live", l)?;
                }
            }
            map.serialize_entry(key, value)?;
        }
        if let Some(c) = conclusion {
            map.serialize_entry("conclusion", c)?;
        }
        if let Some(l) = live {
            map.serialize_entry("live", l)?;
        }
        map.end()
    }
}
