//! Turns the raw spec into a model of Rust items, recovering what only the prose says.

use crate::spec::{Field, Spec};
use std::collections::{BTreeMap, HashMap, HashSet};

/// A field's Rust-level type.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    Int,
    Float,
    Str,
    Bool,
    /// `Integer` or `String`: a chat id or `@username`.
    ChatId,
    /// `InputFile` or `String`, or a `String` documented to take `attach://`.
    InputFile,
    /// The four keyboard markups of `reply_markup`.
    ReplyMarkup,
    /// A string enumeration recovered from prose.
    Enum(String),
    /// A type of the spec (struct, union or empty type).
    Named(String),
    Array(Box<Ty>),
}

#[derive(Debug, Clone)]
pub struct FieldM {
    pub name: String,
    pub rust_name: String,
    pub ty: Ty,
    pub required: bool,
    pub doc: String,
    /// Stored behind a `Box` (optional objects, and cycles).
    pub boxed: bool,
}

#[derive(Debug, Clone)]
pub enum MemberTy {
    Named(String),
    /// A bare string member (RichText).
    Text,
    /// An array member (RichText).
    List,
}

#[derive(Debug, Clone)]
pub struct Member {
    pub variant: String,
    pub ty: MemberTy,
    pub tag: Option<String>,
    /// Keys whose presence identifies this member (for untagged unions and duplicate tags).
    pub detect: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum UnionStyle {
    /// Members carry a fixed value in this field.
    Tagged(String),
    /// `MaybeInaccessibleMessage`: told apart by `date == 0`.
    ByDate,
    /// No tag: told apart by which required keys are present.
    ByKeys,
}

#[derive(Debug, Clone)]
pub enum Kind {
    Struct {
        fields: Vec<FieldM>,
        /// (field name, fixed value) written by the serializer, not stored.
        tag: Option<(String, String)>,
    },
    Union {
        members: Vec<Member>,
        style: UnionStyle,
    },
}

#[derive(Debug, Clone)]
pub struct TypeM {
    pub name: String,
    pub doc: String,
    pub kind: Kind,
}

#[derive(Debug, Clone)]
pub enum Returns {
    Ty(Ty),
    /// `Message` for chat messages, `true` for inline messages.
    MessageOrTrue,
}

#[derive(Debug, Clone)]
pub struct MethodM {
    pub name: String,
    pub struct_name: String,
    pub doc: String,
    pub fields: Vec<FieldM>,
    pub returns: Returns,
    pub upload_fields: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct EnumM {
    pub name: String,
    pub doc: String,
    /// (variant, wire value)
    pub values: Vec<(String, String)>,
}

pub struct Model {
    pub version: String,
    pub types: Vec<TypeM>,
    pub methods: Vec<MethodM>,
    pub enums: Vec<EnumM>,
    pub update_fields: Vec<FieldM>,
}

const MARKUPS: [&str; 4] = [
    "InlineKeyboardMarkup",
    "ReplyKeyboardMarkup",
    "ReplyKeyboardRemove",
    "ForceReply",
];

/// Names chosen by hand for enumerations that several fields share or whose default name
/// would read badly. Key: (owner, field).
fn enum_name_override(owner: &str, field: &str) -> Option<&'static str> {
    Some(match (owner, field) {
        ("Chat" | "ChatFullInfo", "type") => "ChatType",
        ("MessageEntity", "type") => "MessageEntityType",
        ("Poll" | "sendPoll", "type") => "PollType",
        ("Sticker", "type") | ("StickerSet", "sticker_type") => "StickerType",
        ("InputSticker", "format")
        | ("uploadStickerFile", "sticker_format")
        | ("setStickerSetThumbnail", "format") => "StickerFormat",
        (_, "style") => "ButtonStyle",
        (_, "currency") | ("UniqueGiftInfo", "last_resale_currency") => "PaymentCurrency",
        ("SuggestedPostRefunded", "reason") => "SuggestedPostRefundReason",
        ("SuggestedPostInfo", "state") => "SuggestedPostState",
        ("UniqueGiftModel", "rarity") => "GiftRarity",
        ("UniqueGiftInfo", "origin") => "UniqueGiftOrigin",
        ("RichBlockTableCell", "align") => "TableCellAlign",
        ("RichBlockTableCell", "valign") => "TableCellVerticalAlign",
        ("InlineQuery", "chat_type") => "InlineQueryChatType",
        ("TransactionPartnerUser", "transaction_type") => "TransactionType",
        ("answerChatJoinRequestQuery", "result") => "JoinRequestQueryResult",
        _ => return None,
    })
}

/// Open sets that the prose gives through links rather than quoted values.
fn enum_by_hand(owner: &str, field: &str) -> Option<(&'static str, &'static [&'static str])> {
    if field == "parse_mode" || field.ends_with("_parse_mode") {
        return Some(("ParseMode", &["MarkdownV2", "HTML", "Markdown"]));
    }
    if owner == "sendChatAction" && field == "action" {
        return Some((
            "ChatAction",
            &[
                "typing",
                "upload_photo",
                "record_video",
                "upload_video",
                "record_voice",
                "upload_voice",
                "upload_document",
                "choose_sticker",
                "find_location",
                "record_video_note",
                "upload_video_note",
            ],
        ));
    }
    if owner == "sendPoll" && field == "type" {
        return Some(("PollType", &["regular", "quiz"]));
    }
    None
}

/// Values written between straight or curly double quotes, when they look like identifiers.
pub fn quoted_values(desc: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = desc.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '"' || chars[i] == '“' {
            let close = if chars[i] == '"' { '"' } else { '”' };
            if let Some(len) = chars[i + 1..].iter().position(|&c| c == close) {
                let v: String = chars[i + 1..i + 1 + len].iter().collect();
                if !v.is_empty()
                    && v.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '/')
                {
                    out.push(v);
                }
                i += len + 2;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// The fixed value of a tag field ("always \"user\"", "must be photo").
pub fn fixed_tag(field: &Field) -> Option<String> {
    if !matches!(field.name.as_str(), "type" | "status" | "source") || field.types != ["String"] {
        return None;
    }
    let d = &field.description;
    // "must be one of \"a\" ..., \"A\" ..." lists allowed values: a plain field, not a tag.
    if d.contains("must be one of") {
        return None;
    }
    for marker in ["always ", "must be "] {
        if let Some(pos) = d.find(marker) {
            let rest = &d[pos + marker.len()..];
            let rest = rest.trim_start_matches(['"', '“']);
            let value: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !value.is_empty() {
                return Some(value);
            }
        }
    }
    None
}

pub fn camel(s: &str) -> String {
    let mut out = String::new();
    let mut up = true;
    for c in s.chars() {
        if c == '_' || c == '-' || c == '/' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn variant_of_value(v: &str) -> String {
    let c = camel(v);
    // "HTML" -> "Html", "XTR" -> "Xtr"; mixed case such as "MarkdownV2" stays.
    if v.chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && v.len() > 1
    {
        let mut s = String::new();
        for (i, ch) in v.chars().enumerate() {
            if i == 0 {
                s.push(ch);
            } else {
                s.extend(ch.to_lowercase());
            }
        }
        return s;
    }
    c
}

pub fn rust_field_name(name: &str) -> String {
    match name {
        "type" => "kind".to_string(),
        _ => name.to_string(),
    }
}

fn parse_ty(s: &str) -> Ty {
    if let Some(inner) = s.strip_prefix("Array of ") {
        return Ty::Array(Box::new(parse_ty(inner)));
    }
    match s {
        "Integer" => Ty::Int,
        "Float" => Ty::Float,
        "String" => Ty::Str,
        "Boolean" | "True" => Ty::Bool,
        "InputFile" => Ty::InputFile,
        other => Ty::Named(other.to_string()),
    }
}

struct EnumRegistry {
    by_name: BTreeMap<String, EnumM>,
    by_values: HashMap<Vec<String>, String>,
}

impl EnumRegistry {
    fn resolve(&mut self, owner: &str, field: &Field) -> Option<String> {
        if field.types != ["String"] {
            return None;
        }
        if let Some((name, values)) = enum_by_hand(owner, &field.name) {
            let values: Vec<String> = values.iter().map(|s| s.to_string()).collect();
            self.register(name.to_string(), values, &field.description);
            return Some(name.to_string());
        }
        let d = &field.description;
        let triggered = ["can be", "one of", "Currently", "either", "Choose"]
            .iter()
            .any(|t| d.contains(t));
        if !triggered {
            return None;
        }
        let mut values: Vec<String> = Vec::new();
        for v in quoted_values(d) {
            if !values.contains(&v) {
                values.push(v);
            }
        }
        if values.len() < 2 {
            return None;
        }
        // Values that are not identifiers (MIME types) or that collide once camel-cased
        // ("a"/"A") stay plain strings.
        let mut seen = HashSet::new();
        for v in &values {
            if v.contains('/') || v.starts_with(|c: char| c.is_ascii_digit()) {
                return None;
            }
            if !seen.insert(variant_of_value(v)) {
                return None;
            }
        }
        let name = match enum_name_override(owner, &field.name) {
            Some(n) => n.to_string(),
            None => {
                let mut key = values.clone();
                key.sort();
                if let Some(existing) = self.by_values.get(&key) {
                    return Some(existing.clone());
                }
                format!("{}{}", camel(owner), camel(&field.name))
            }
        };
        self.register(name.clone(), values, d);
        Some(name)
    }

    fn register(&mut self, name: String, values: Vec<String>, desc: &str) {
        let mut key = values.clone();
        key.sort();
        self.by_values.entry(key).or_insert_with(|| name.clone());
        let entry = self.by_name.entry(name.clone()).or_insert_with(|| EnumM {
            name: name.clone(),
            doc: desc.to_string(),
            values: Vec::new(),
        });
        for v in values {
            if !entry.values.iter().any(|(_, w)| *w == v) {
                entry.values.push((variant_of_value(&v), v));
            }
        }
    }
}

impl Model {
    pub fn build(spec: &Spec) -> Model {
        let type_names: HashSet<&str> = spec.types.0.iter().map(|(n, _)| n.as_str()).collect();
        let mut enums = EnumRegistry {
            by_name: BTreeMap::new(),
            by_values: HashMap::new(),
        };

        let resolve_field = |enums: &mut EnumRegistry, owner: &str, f: &Field| -> Ty {
            let t: Vec<&str> = f.types.iter().map(|s| s.as_str()).collect();
            if t == ["Integer", "String"] {
                return Ty::ChatId;
            }
            if t == MARKUPS {
                return Ty::ReplyMarkup;
            }
            if t == ["InputFile", "String"] || t == ["InputFile"] {
                return Ty::InputFile;
            }
            if t.len() > 1 && t.iter().all(|x| x.starts_with("Array of InputMedia")) {
                return Ty::Array(Box::new(Ty::Named("InputMedia".into())));
            }
            assert_eq!(
                t.len(),
                1,
                "unexpected field union {owner}.{}: {t:?}",
                f.name
            );
            if t == ["String"] && f.description.contains("attach://") {
                return Ty::InputFile;
            }
            if let Some(e) = enums.resolve(owner, f) {
                return Ty::Enum(e);
            }
            let ty = parse_ty(t[0]);
            fn check(ty: &Ty, names: &HashSet<&str>) {
                match ty {
                    Ty::Named(n) => assert!(names.contains(n.as_str()), "unknown type {n}"),
                    Ty::Array(i) => check(i, names),
                    _ => {}
                }
            }
            check(&ty, &type_names);
            ty
        };

        // Which types are unions, for boxing decisions.
        let mut types = Vec::new();
        let mut update_fields = Vec::new();
        for (name, t) in &spec.types.0 {
            if name == "InputFile" {
                continue; // modelled by hand: bytes, file_id or URL
            }
            let doc = t.description.join("\n\n");
            if !t.subtypes.is_empty() {
                types.push(TypeM {
                    name: name.clone(),
                    doc,
                    kind: union_kind(spec, name, &t.subtypes),
                });
                continue;
            }
            let mut tag = None;
            let mut fields = Vec::new();
            for f in &t.fields {
                if let Some(v) = fixed_tag(f) {
                    tag = Some((f.name.clone(), v));
                    continue;
                }
                let ty = resolve_field(&mut enums, name, f);
                fields.push(FieldM {
                    name: f.name.clone(),
                    rust_name: rust_field_name(&f.name),
                    boxed: !f.required && matches!(ty, Ty::Named(_)),
                    ty,
                    required: f.required,
                    doc: f.description.clone(),
                });
            }
            if name == "Update" {
                update_fields = fields;
                continue;
            }
            types.push(TypeM {
                name: name.clone(),
                doc,
                kind: Kind::Struct { fields, tag },
            });
        }
        box_cycles(&mut types);

        let mut methods = Vec::new();
        for (name, m) in &spec.methods.0 {
            let mut fields = Vec::new();
            let mut upload_fields = Vec::new();
            for f in &m.fields {
                let ty = resolve_field(&mut enums, name, f);
                if ty == Ty::InputFile {
                    upload_fields.push(f.name.clone());
                }
                fields.push(FieldM {
                    name: f.name.clone(),
                    rust_name: rust_field_name(&f.name),
                    boxed: false,
                    ty,
                    required: f.required,
                    doc: f.description.clone(),
                });
            }
            let returns = if m.returns == ["Message", "Boolean"] {
                Returns::MessageOrTrue
            } else {
                assert_eq!(m.returns.len(), 1, "unexpected return union of {name}");
                Returns::Ty(parse_ty(&m.returns[0]))
            };
            let mut struct_name = camel(name);
            if type_names.contains(struct_name.as_str()) {
                struct_name.push_str("Request");
            }
            methods.push(MethodM {
                name: name.clone(),
                struct_name,
                doc: m.description.join("\n\n"),
                fields,
                returns,
                upload_fields,
            });
        }

        Model {
            version: spec.version.clone(),
            types,
            methods,
            enums: enums.by_name.into_values().collect(),
            update_fields,
        }
    }
}

fn union_kind(spec: &Spec, name: &str, subtypes: &[String]) -> Kind {
    let lookup = |n: &str| spec.types.0.iter().find(|(k, _)| k == n).map(|(_, t)| t);
    let named: Vec<&String> = subtypes
        .iter()
        .filter(|s| !s.starts_with("Array of ") && *s != "String")
        .collect();
    // Variant names: drop the union's own name, else the members' common prefix.
    let strip = if named
        .iter()
        .all(|m| m.starts_with(name) && m.len() > name.len())
    {
        name.to_string()
    } else {
        common_prefix(&named)
    };
    let mut members = Vec::new();
    let mut tag_field: Option<String> = None;
    let mut all_tagged = true;
    for s in subtypes {
        if s == "String" {
            members.push(Member {
                variant: "Text".into(),
                ty: MemberTy::Text,
                tag: None,
                detect: vec![],
            });
            continue;
        }
        if s.starts_with("Array of ") {
            members.push(Member {
                variant: "List".into(),
                ty: MemberTy::List,
                tag: None,
                detect: vec![],
            });
            continue;
        }
        let t = lookup(s).unwrap_or_else(|| panic!("unknown member {s} of {name}"));
        let mut tag = None;
        for f in &t.fields {
            if let Some(v) = fixed_tag(f) {
                tag_field = Some(f.name.clone());
                tag = Some(v);
            }
        }
        if tag.is_none() {
            all_tagged = false;
        }
        let variant = s.strip_prefix(strip.as_str()).unwrap_or(s).to_string();
        members.push(Member {
            variant,
            ty: MemberTy::Named(s.clone()),
            tag,
            detect: vec![],
        });
    }
    // Keys that only one member requires identify it (untagged unions, duplicate tags).
    let required: Vec<(usize, HashSet<String>)> = members
        .iter()
        .enumerate()
        .filter_map(|(i, m)| match &m.ty {
            MemberTy::Named(n) => Some((
                i,
                lookup(n)
                    .unwrap()
                    .fields
                    .iter()
                    .filter(|f| f.required && fixed_tag(f).is_none())
                    .map(|f| f.name.clone())
                    .collect(),
            )),
            _ => None,
        })
        .collect();
    for (i, keys) in &required {
        let peers: Vec<&HashSet<String>> = required
            .iter()
            .filter(|(j, _)| j != i)
            .filter(|(j, _)| !all_tagged || members[*j].tag == members[*i].tag)
            .map(|(_, k)| k)
            .collect();
        let mut unique: Vec<String> = keys
            .iter()
            .filter(|k| peers.iter().all(|p| !p.contains(*k)))
            .cloned()
            .collect();
        unique.sort();
        members[*i].detect = unique;
    }
    let style = if name == "MaybeInaccessibleMessage" {
        UnionStyle::ByDate
    } else if let (true, Some(field)) = (all_tagged, tag_field) {
        UnionStyle::Tagged(field)
    } else if name == "RichText" {
        UnionStyle::Tagged("type".into())
    } else {
        UnionStyle::ByKeys
    };
    Kind::Union { members, style }
}

fn common_prefix(names: &[&String]) -> String {
    if names.len() < 2 {
        return String::new();
    }
    let first = names[0];
    let mut len = first.len();
    for n in &names[1..] {
        len = len.min(
            first
                .bytes()
                .zip(n.bytes())
                .take_while(|(a, b)| a == b)
                .count(),
        );
    }
    // Cut back to a word boundary (an upper-case letter starts the rest of every name).
    while len > 0
        && !names
            .iter()
            .all(|n| n[len..].starts_with(|c: char| c.is_ascii_uppercase()))
    {
        len -= 1;
    }
    if names.iter().any(|n| n.len() == len) {
        return String::new();
    }
    first[..len].to_string()
}

/// Required object fields are stored inline unless that creates an infinitely sized type.
fn box_cycles(types: &mut [TypeM]) {
    let index: HashMap<String, usize> = types
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name.clone(), i))
        .collect();
    // Unions box their members, so only struct -> struct inline edges can cycle.
    let inline_edges = |t: &TypeM| -> Vec<String> {
        match &t.kind {
            Kind::Struct { fields, .. } => fields
                .iter()
                .filter(|f| !f.boxed)
                .filter_map(|f| match &f.ty {
                    Ty::Named(n) => Some(n.clone()),
                    _ => None,
                })
                .collect(),
            Kind::Union { .. } => vec![],
        }
    };
    let edges: Vec<Vec<String>> = types.iter().map(inline_edges).collect();
    let reaches = |from: &str, to: &str| -> bool {
        let mut stack = vec![from.to_string()];
        let mut seen = HashSet::new();
        while let Some(n) = stack.pop() {
            if n == to {
                return true;
            }
            if !seen.insert(n.clone()) {
                continue;
            }
            if let Some(&i) = index.get(&n) {
                stack.extend(edges[i].iter().cloned());
            }
        }
        false
    };
    let mut to_box = Vec::new();
    for (i, t) in types.iter().enumerate() {
        if let Kind::Struct { fields, .. } = &t.kind {
            for (j, f) in fields.iter().enumerate() {
                if let (false, Ty::Named(n)) = (f.boxed, &f.ty) {
                    if reaches(n, &t.name) {
                        to_box.push((i, j));
                    }
                }
            }
        }
    }
    for (i, j) in to_box {
        if let Kind::Struct { fields, .. } = &mut types[i].kind {
            fields[j].boxed = true;
        }
    }
}
