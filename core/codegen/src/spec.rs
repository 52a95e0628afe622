//! The shape of `api.json`, read with documentation order kept.

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use std::marker::PhantomData;

/// A JSON object read as an ordered list of entries (the spec's order is documentation order,
/// which the generated code follows).
#[derive(Debug)]
pub struct Ordered<T>(pub Vec<(String, T)>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ordered<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Ordered<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, T>()? {
                    out.push((k, v));
                }
                Ok(Ordered(out))
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

#[derive(Debug, Deserialize)]
pub struct Spec {
    pub version: String,
    pub methods: Ordered<Method>,
    pub types: Ordered<Type>,
}

#[derive(Debug, Deserialize)]
pub struct Method {
    #[serde(default)]
    pub href: String,
    pub description: Vec<String>,
    pub returns: Vec<String>,
    #[serde(default)]
    pub fields: Vec<Field>,
}

#[derive(Debug, Deserialize)]
pub struct Type {
    #[serde(default)]
    pub href: String,
    #[serde(default)]
    pub description: Vec<String>,
    #[serde(default)]
    pub fields: Vec<Field>,
    #[serde(default)]
    pub subtypes: Vec<String>,
}

#[derive(Debug, Deserialize, Clone)]
pub struct Field {
    pub name: String,
    pub types: Vec<String>,
    pub required: bool,
    pub description: String,
}
