//! Builds sample JSON for every type and method of the vendored Bot API spec, independently
//! of the generated code (it reads `api.json` itself), and checks the generated code against
//! them. Shared by the round-trip tests and the coverage command.
#![allow(dead_code)]

use botwire_core::telegram::api::{find_method, Api};
use botwire_core::telegram::generated::methods::TYPE_ROUNDTRIPS;
use serde_json::{json, Map, Value};

pub const SPEC_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/spec/telegram/api.json");

pub struct Spec {
    pub raw: Value,
}

impl Spec {
    pub fn load() -> Spec {
        let text = std::fs::read_to_string(SPEC_PATH).expect("read api.json");
        Spec {
            raw: serde_json::from_str(&text).expect("parse api.json"),
        }
    }

    pub fn type_names(&self) -> Vec<String> {
        self.raw["types"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    }

    pub fn method_names(&self) -> Vec<String> {
        self.raw["methods"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    }

    fn ty(&self, name: &str) -> &Value {
        &self.raw["types"][name]
    }

    fn fields<'a>(&self, owner: &'a Value) -> Vec<&'a Value> {
        owner["fields"]
            .as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default()
    }

    /// Samples of a type: one per union member for unions, one otherwise.
    pub fn samples(&self, name: &str) -> Vec<Value> {
        let t = self.ty(name);
        if let Some(subs) = t["subtypes"].as_array() {
            return subs
                .iter()
                .map(|s| self.sample_of_type_string(s.as_str().unwrap(), 0))
                .collect();
        }
        if name == "Update" {
            return self
                .fields(t)
                .iter()
                .filter(|f| f["name"] != "update_id")
                .map(|f| {
                    let mut m = Map::new();
                    m.insert("update_id".into(), json!(1000));
                    m.insert(
                        f["name"].as_str().unwrap().into(),
                        self.sample_of_field(name, f, 0),
                    );
                    Value::Object(m)
                })
                .collect();
        }
        if name == "InputFile" {
            return vec![
                json!("AgACAgIAAxkBAAIBY2Zk"),
                json!("https://example.org/a.jpg"),
            ];
        }
        vec![self.sample_object(name, 0)]
    }

    fn sample_object(&self, name: &str, depth: usize) -> Value {
        let t = self.ty(name);
        let mut m = Map::new();
        for f in self.fields(t) {
            let required = f["required"].as_bool().unwrap_or(false);
            // Deep optional structure adds nothing but size.
            if !required && depth > 2 {
                continue;
            }
            m.insert(
                f["name"].as_str().unwrap().into(),
                self.sample_of_field(name, f, depth),
            );
        }
        Value::Object(m)
    }

    fn sample_of_field(&self, owner: &str, f: &Value, depth: usize) -> Value {
        let fname = f["name"].as_str().unwrap();
        let desc = f["description"].as_str().unwrap_or("");
        let types: Vec<&str> = f["types"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        if owner == "InaccessibleMessage" && fname == "date" {
            return json!(0);
        }
        if types == ["String"] {
            if let Some(v) = fixed_value(desc) {
                return json!(v);
            }
            if let Some(v) = first_quoted(desc) {
                return json!(v);
            }
            return json!(format!("{fname} sample ✓"));
        }
        self.sample_of_type_string(types[0], depth + 1)
    }

    fn sample_of_type_string(&self, t: &str, depth: usize) -> Value {
        if let Some(inner) = t.strip_prefix("Array of ") {
            return json!([self.sample_of_type_string(inner, depth)]);
        }
        match t {
            "Integer" => json!(42),
            "Float" => json!(1.5),
            "String" => json!("text"),
            "Boolean" => json!(true),
            "InputFile" => json!("AgACAgIAAxkBAAIBY2Zk"),
            other => {
                let ty = self.ty(other);
                if let Some(subs) = ty["subtypes"].as_array() {
                    // Recursive unions with a text member (RichText) end in text.
                    if depth > 2 && subs.iter().any(|s| s == "String") {
                        return json!("text");
                    }
                    // The first object member stands for the union.
                    let first = subs
                        .iter()
                        .map(|s| s.as_str().unwrap())
                        .find(|s| !s.starts_with("Array of ") && *s != "String")
                        .unwrap();
                    self.sample_object(first, depth)
                } else {
                    self.sample_object(other, depth)
                }
            }
        }
    }

    /// Arguments for a method with every parameter filled.
    pub fn method_args(&self, method: &str, upload: bool) -> Value {
        let m = &self.raw["methods"][method];
        let mut args = Map::new();
        for f in self.fields(m) {
            let types: Vec<&str> = f["types"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap())
                .collect();
            let name = f["name"].as_str().unwrap();
            let v = if types.contains(&"InputFile") && upload {
                json!({"file_name": format!("{name}.bin"), "data_base64": "AAECAw=="})
            } else if types.first() == Some(&"Integer") && types.get(1) == Some(&"String") {
                json!(-1001234567890i64)
            } else if types.len() == 4 && types[0] == "InlineKeyboardMarkup" {
                json!({"inline_keyboard": [[{"text": "Yes", "callback_data": "y"}]]})
            } else if types.len() > 1 && types[0].starts_with("Array of InputMedia") {
                json!([
                    {"type": "photo", "media": "AgACAgIAAxkBAAIBY2Zk", "caption": "left"},
                    {"type": "photo", "media": "https://example.org/b.jpg"}
                ])
            } else {
                self.sample_of_field(method, f, 1)
            };
            args.insert(name.into(), v);
        }
        Value::Object(args)
    }

    /// A successful answer body for a method.
    pub fn method_answer(&self, method: &str) -> Value {
        let returns = self.raw["methods"][method]["returns"].as_array().unwrap();
        let result = self.sample_of_type_string(returns[0].as_str().unwrap(), 1);
        json!({"ok": true, "result": result})
    }
}

/// `always "x"` / `must be x` in a description.
pub fn fixed_value(desc: &str) -> Option<String> {
    for marker in [
        "always \"",
        "always “",
        "must be \"",
        "must be “",
        "must be ",
    ] {
        if let Some(pos) = desc.find(marker) {
            let v: String = desc[pos + marker.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !v.is_empty() && v.chars().next().unwrap().is_ascii_lowercase() {
                return Some(v);
            }
        }
    }
    None
}

fn first_quoted(desc: &str) -> Option<String> {
    let start = desc.find(['"', '“'])?;
    let rest = &desc[start..];
    let rest = rest.trim_start_matches(['"', '“']);
    let v: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    (!v.is_empty()).then_some(v)
}

/// Checks one type: every sample parses and serializes back to the same JSON.
pub fn check_type(spec: &Spec, name: &str) -> Result<(), String> {
    let rt = TYPE_ROUNDTRIPS
        .iter()
        .find(|(n, _)| *n == name)
        .ok_or_else(|| format!("{name}: no generated type"))?
        .1;
    for sample in spec.samples(name) {
        let text = sample.to_string();
        let back = rt(&text).map_err(|e| format!("{name}: parse failed: {e}\n  {text}"))?;
        let back: Value = serde_json::from_str(&back).unwrap();
        if back != sample {
            return Err(format!(
                "{name}: round trip differs\n  in:  {sample}\n  out: {back}"
            ));
        }
    }
    Ok(())
}

/// Checks one method: the request carries every parameter (JSON, and multipart when it
/// uploads), and a sample answer parses.
pub fn check_method(spec: &Spec, name: &str) -> Result<(), String> {
    let info = find_method(name).ok_or_else(|| format!("{name}: no generated method"))?;
    let api = Api::new("1:T").with_api_root("http://sim");
    for upload in [false, true] {
        let args = spec.method_args(name, upload);
        if upload && info.upload_fields.is_empty() {
            continue;
        }
        let req = info
            .build_request(&api, &args.to_string())
            .map_err(|e| format!("{name}: build failed: {e}\n  {args}"))?;
        if req.url != format!("http://sim/bot1:T/{name}") {
            return Err(format!("{name}: wrong URL {}", req.url));
        }
        let ctype = req.header("Content-Type").unwrap_or_default().to_owned();
        let body = String::from_utf8_lossy(&req.body).into_owned();
        if upload {
            if !ctype.starts_with("multipart/form-data; boundary=") {
                return Err(format!("{name}: upload not multipart ({ctype})"));
            }
            for key in args.as_object().unwrap().keys() {
                if !body.contains(&format!("name=\"{key}\"")) {
                    return Err(format!("{name}: multipart lacks part {key}"));
                }
            }
        } else {
            if ctype != "application/json" {
                return Err(format!("{name}: not JSON ({ctype})"));
            }
            let sent: Value = serde_json::from_slice(&req.body).unwrap();
            if sent != args {
                return Err(format!(
                    "{name}: body differs\n  args: {args}\n  sent: {sent}"
                ));
            }
        }
    }
    let answer = spec.method_answer(name).to_string();
    info.parse_response(200, answer.as_bytes())
        .map_err(|e| format!("{name}: answer does not parse: {e}\n  {answer}"))?;
    Ok(())
}
