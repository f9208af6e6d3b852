//! The lenient, streaming half of the models.dev parser: serde visitors that read `api.json`
//! without building a `Value` tree, keep only the fields the catalogue uses, and turn a wrongly
//! typed field into "unknown" instead of failing its entry. [`super::index`] owns the index
//! they fill (through its `Builder`).

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::index::{lower, Builder, DevModel};

/// Visitor methods for every JSON type a visitor does not care about: the value is consumed and
/// the visitor answers `Default::default()` (i.e. "unknown"/"broken"), never an error.
macro_rules! lenient_fallbacks {
    ($($skip:ident),*) => {
        $(lenient_fallbacks!(@one $skip);)*
    };
    (@one bool) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> { Ok(Default::default()) }
    };
    (@one i64) => {
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> { Ok(Default::default()) }
    };
    (@one u64) => {
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> { Ok(Default::default()) }
    };
    (@one f64) => {
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> { Ok(Default::default()) }
    };
    (@one str) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> { Ok(Default::default()) }
    };
    (@one unit) => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> { Ok(Default::default()) }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> { Ok(Default::default()) }
    };
    (@one seq) => {
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(Default::default())
        }
    };
    (@one map) => {
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(Default::default())
        }
    };
}

/// A map key, borrowed from the input when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// A scalar field read leniently: numbers, booleans and strings are kept, anything else
/// (null, arrays, objects) is consumed and becomes `Other`.
#[derive(Default)]
enum Scalar {
    Bool(bool),
    U64(u64),
    I64(i64),
    F64(f64),
    Str(String),
    #[default]
    Other,
}

impl Scalar {
    fn into_string(self) -> Option<String> {
        match self {
            Scalar::Str(s) => Some(s),
            _ => None,
        }
    }

    fn into_bool(self) -> Option<bool> {
        match self {
            Scalar::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// A positive token count; `0`, negatives and fractions are unknown.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // range checked first
    fn into_limit(self) -> Option<u64> {
        let v = match self {
            Scalar::U64(v) => v,
            Scalar::I64(v) => u64::try_from(v).ok()?,
            Scalar::F64(v) if v.is_finite() && v >= 1.0 && v.fract() == 0.0 && v < 1.8e19 => {
                // Checked above: finite, integral and in range, so the cast is exact.
                v as u64
            }
            _ => return None,
        };
        (v > 0).then_some(v)
    }

    /// A non-negative price.
    fn into_cost(self) -> Option<f64> {
        let v = match self {
            Scalar::U64(v) => v as f64,
            Scalar::I64(v) => v as f64,
            Scalar::F64(v) => v,
            _ => return None,
        };
        (v.is_finite() && v >= 0.0).then_some(v)
    }
}

impl<'de> de::Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar::Bool(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar::U64(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::I64(v))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar::F64(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar::Str(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
                Ok(Scalar::Str(v))
            }
            lenient_fallbacks!(unit, seq, map);
        }
        d.deserialize_any(V)
    }
}

/// A list of strings read leniently: non-string elements are dropped, a non-array is unknown.
struct StrList(Option<Vec<String>>);

impl<'de> de::Deserialize<'de> for StrList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Option<Vec<String>>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array of strings")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(4).min(16));
                while let Some(item) = seq.next_element::<Scalar>()? {
                    if let Some(s) = item.into_string() {
                        out.push(s);
                    }
                }
                Ok(Some(out))
            }
            lenient_fallbacks!(bool, i64, u64, f64, str, unit, map);
        }
        d.deserialize_any(V).map(StrList)
    }
}

/// Implements `Deserialize` for `Lenient<$ty>` where `$ty` is read from a JSON object by
/// `$fill(&mut $ty, key, &mut map)`; any non-object becomes `None`.
macro_rules! lenient_object {
    ($ty:ident, $what:literal, |$obj:ident, $key:ident, $map:ident| $body:block) => {
        impl<'de> de::Deserialize<'de> for Lenient<$ty> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = Option<$ty>;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_map<A: MapAccess<'de>>(
                        self,
                        mut $map: A,
                    ) -> Result<Self::Value, A::Error> {
                        let mut $obj = $ty::default();
                        while let Some(Key($key)) = $map.next_key::<Key<'de>>()? {
                            $body
                        }
                        Ok(Some($obj))
                    }
                    lenient_fallbacks!(bool, i64, u64, f64, str, unit, seq);
                }
                d.deserialize_any(V).map(Lenient)
            }
        }
    };
}

/// `Some(T)` when the JSON value was an object, `None` for any other JSON type.
struct Lenient<T>(Option<T>);

#[derive(Default)]
struct RawLimit {
    context: Option<u64>,
    output: Option<u64>,
}

lenient_object!(RawLimit, "a limit object", |obj, key, map| {
    match key.as_ref() {
        "context" => obj.context = map.next_value::<Scalar>()?.into_limit(),
        "output" => obj.output = map.next_value::<Scalar>()?.into_limit(),
        _ => {
            map.next_value::<IgnoredAny>()?;
        }
    }
});

#[derive(Default)]
struct RawModalities {
    input: Option<Vec<String>>,
    output: Option<Vec<String>>,
}

lenient_object!(RawModalities, "a modalities object", |obj, key, map| {
    match key.as_ref() {
        "input" => obj.input = map.next_value::<StrList>()?.0,
        "output" => obj.output = map.next_value::<StrList>()?.0,
        _ => {
            map.next_value::<IgnoredAny>()?;
        }
    }
});

#[derive(Default)]
struct RawCost {
    input: Option<f64>,
    output: Option<f64>,
    cache_read: Option<f64>,
    cache_write: Option<f64>,
}

lenient_object!(RawCost, "a cost object", |obj, key, map| {
    match key.as_ref() {
        "input" => obj.input = map.next_value::<Scalar>()?.into_cost(),
        "output" => obj.output = map.next_value::<Scalar>()?.into_cost(),
        "cache_read" => obj.cache_read = map.next_value::<Scalar>()?.into_cost(),
        "cache_write" => obj.cache_write = map.next_value::<Scalar>()?.into_cost(),
        _ => {
            map.next_value::<IgnoredAny>()?;
        }
    }
});

#[derive(Default)]
pub(super) struct RawModel {
    name: Option<String>,
    family: Option<String>,
    release_date: Option<String>,
    last_updated: Option<String>,
    status: Option<String>,
    attachment: Option<bool>,
    reasoning: Option<bool>,
    temperature: Option<bool>,
    tool_call: Option<bool>,
    limit: Option<RawLimit>,
    modalities: Option<RawModalities>,
    cost: Option<RawCost>,
}

lenient_object!(RawModel, "a model object", |obj, key, map| {
    match key.as_ref() {
        "name" => obj.name = map.next_value::<Scalar>()?.into_string(),
        "family" => obj.family = map.next_value::<Scalar>()?.into_string(),
        "release_date" => obj.release_date = map.next_value::<Scalar>()?.into_string(),
        "last_updated" => obj.last_updated = map.next_value::<Scalar>()?.into_string(),
        "status" => obj.status = map.next_value::<Scalar>()?.into_string(),
        "attachment" => obj.attachment = map.next_value::<Scalar>()?.into_bool(),
        "reasoning" => obj.reasoning = map.next_value::<Scalar>()?.into_bool(),
        "temperature" => obj.temperature = map.next_value::<Scalar>()?.into_bool(),
        "tool_call" => obj.tool_call = map.next_value::<Scalar>()?.into_bool(),
        "limit" => obj.limit = map.next_value::<Lenient<RawLimit>>()?.0,
        "modalities" => obj.modalities = map.next_value::<Lenient<RawModalities>>()?.0,
        "cost" => obj.cost = map.next_value::<Lenient<RawCost>>()?.0,
        _ => {
            map.next_value::<IgnoredAny>()?;
        }
    }
});

impl RawModel {
    pub(super) fn into_model(self, provider: String, id: String) -> DevModel {
        let limit = self.limit.unwrap_or_default();
        let modalities = self.modalities.unwrap_or_default();
        let cost = self.cost.unwrap_or_default();
        DevModel {
            provider,
            id,
            name: self.name,
            family: self.family,
            release_date: self.release_date,
            last_updated: self.last_updated,
            status: self.status,
            attachment: self.attachment,
            reasoning: self.reasoning,
            temperature: self.temperature,
            tool_call: self.tool_call,
            context: limit.context,
            output: limit.output,
            input_modalities: modalities.input,
            output_modalities: modalities.output,
            cost_input: cost.input,
            cost_output: cost.output,
            cost_cache_read: cost.cache_read,
            cost_cache_write: cost.cache_write,
        }
    }
}

/// The top level: `{ "<providerId>": {...}, ... }`. Answers `false` when it is not an object.
pub(super) struct TopVisitor<'b> {
    b: &'b mut Builder,
}

impl<'b> TopVisitor<'b> {
    /// A visitor filling `b`.
    pub(super) fn new(b: &'b mut Builder) -> Self {
        TopVisitor { b }
    }
}

impl<'de> Visitor<'de> for TopVisitor<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object keyed by provider id")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        while let Some(Key(provider)) = map.next_key::<Key<'de>>()? {
            let ok = map.next_value_seed(ProviderSeed {
                b: &mut *self.b,
                provider: &provider,
            })?;
            if !ok {
                self.b.skipped += 1;
            }
        }
        Ok(true)
    }

    lenient_fallbacks!(bool, i64, u64, f64, str, unit, seq);
}

/// One provider object; answers whether it was usable (an object with a `models` object).
struct ProviderSeed<'b, 'p> {
    b: &'b mut Builder,
    provider: &'p str,
}

impl<'de> DeserializeSeed<'de> for ProviderSeed<'_, '_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ProviderSeed<'_, '_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a provider object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut has_models = false;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if key == "models" && !self.provider.is_empty() {
                let provider_lc = lower(self.provider);
                let ok = map.next_value_seed(ModelsSeed {
                    b: &mut *self.b,
                    provider: self.provider,
                    provider_lc: &provider_lc,
                })?;
                has_models |= ok;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(has_models)
    }

    lenient_fallbacks!(bool, i64, u64, f64, str, unit, seq);
}

/// The `models` object of one provider; answers whether it was an object.
struct ModelsSeed<'b, 'p> {
    b: &'b mut Builder,
    provider: &'p str,
    provider_lc: &'p str,
}

impl<'de> DeserializeSeed<'de> for ModelsSeed<'_, '_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ModelsSeed<'_, '_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a models object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        // Known from here on, even when its `models` object turns out to be empty.
        self.b.ensure_provider(self.provider_lc);
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            match map.next_value::<Lenient<RawModel>>()?.0 {
                Some(raw) if !key.trim().is_empty() => {
                    self.b
                        .add(self.provider, self.provider_lc, key.into_owned(), raw);
                }
                _ => self.b.skipped += 1,
            }
        }
        Ok(true)
    }

    lenient_fallbacks!(bool, i64, u64, f64, str, unit, seq);
}
