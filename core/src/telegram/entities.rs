//! UTF-16 entity offsets, and conversion between message entities and markup.
//!
//! Telegram counts `MessageEntity.offset` and `length` in UTF-16 code units (protocol reference,
//! section 7); [`utf16_to_byte_range`] and [`slice_utf16`] map them onto Rust's UTF-8 strings.
//!
//! [`to_html`], [`to_markdown_v2`] and [`to_markdown_legacy`] turn a received text and its
//! entities into a string for the matching `parse_mode` (section 8.10): entities are nested by
//! sorting, partial overlaps are cut, every text segment is escaped for its context (inside
//! entities too), and the result round-trips. [`parse_html`] and [`parse_markdown_v2`] go the
//! other way, the way the Bot API server does when a message is sent with a `parse_mode`.
//!
//! Entities that produce no markup (`mention`, `hashtag`, `cashtag`, `bot_command`, `url`,
//! `email`, `phone_number`, `date_time`, unknown types) are written as plain text: Telegram
//! detects the automatic ones again by itself.
//!
//! ```
//! use botwire_core::telegram::entities::{parse_html, to_html, EntityRef};
//!
//! let text = "💡 Tip: use /start";
//! let entities = [EntityRef::new("bold", 3, 3), EntityRef::new("bot_command", 12, 6)];
//! let html = to_html(text, &entities);
//! assert_eq!(html, "💡 <b>Tip</b>: use /start");
//! let (plain, parsed) = parse_html(&html)?;
//! assert_eq!(plain, text);
//! assert_eq!(parsed.len(), 1);
//! assert_eq!((parsed[0].kind.as_str(), parsed[0].offset, parsed[0].length), ("bold", 3, 3));
//! # Ok::<(), botwire_core::telegram::entities::MarkupError>(())
//! ```

use std::cmp::Reverse;
use std::ops::Range;

// ---------------------------------------------------------------------------------------------
// Entity views
// ---------------------------------------------------------------------------------------------

/// A borrowed view of one `MessageEntity`, the input of the markup writers.
///
/// `offset` and `length` are in UTF-16 code units, as Telegram sends them. Only the fields a
/// writer needs are present: `url` for `text_link`, `user_id` (the `user.id`) for
/// `text_mention`, `language` for `pre` and `custom_emoji_id` for `custom_emoji`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EntityRef<'a> {
    /// The entity `type`, e.g. `"bold"` or `"text_link"`.
    pub kind: &'a str,
    /// Start of the entity, in UTF-16 code units.
    pub offset: i64,
    /// Length of the entity, in UTF-16 code units.
    pub length: i64,
    /// `url` of a `text_link`.
    pub url: Option<&'a str>,
    /// `user.id` of a `text_mention`.
    pub user_id: Option<i64>,
    /// `language` of a `pre` block.
    pub language: Option<&'a str>,
    /// `custom_emoji_id` of a `custom_emoji`.
    pub custom_emoji_id: Option<&'a str>,
}

impl<'a> EntityRef<'a> {
    /// An entity of the given type and span, without type-specific fields.
    ///
    /// ```
    /// use botwire_core::telegram::entities::EntityRef;
    /// let link = EntityRef { url: Some("https://t.me"), ..EntityRef::new("text_link", 0, 4) };
    /// assert_eq!(link.url, Some("https://t.me"));
    /// ```
    pub const fn new(kind: &'a str, offset: i64, length: i64) -> Self {
        EntityRef {
            kind,
            offset,
            length,
            url: None,
            user_id: None,
            language: None,
            custom_emoji_id: None,
        }
    }

    /// An owned copy of this entity.
    pub fn to_entity(&self) -> Entity {
        Entity {
            kind: self.kind.to_owned(),
            offset: self.offset,
            length: self.length,
            url: self.url.map(str::to_owned),
            user_id: self.user_id,
            language: self.language.map(str::to_owned),
            custom_emoji_id: self.custom_emoji_id.map(str::to_owned),
        }
    }
}

/// An owned message entity, as the markup parsers produce it; [`Entity::as_ref`] gives the
/// [`EntityRef`] view the writers take.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Entity {
    /// The entity `type`, e.g. `"bold"` or `"text_link"`.
    pub kind: String,
    /// Start of the entity, in UTF-16 code units.
    pub offset: i64,
    /// Length of the entity, in UTF-16 code units.
    pub length: i64,
    /// `url` of a `text_link`.
    pub url: Option<String>,
    /// `user.id` of a `text_mention`.
    pub user_id: Option<i64>,
    /// `language` of a `pre` block.
    pub language: Option<String>,
    /// `custom_emoji_id` of a `custom_emoji`.
    pub custom_emoji_id: Option<String>,
}

impl Entity {
    /// An entity of the given type and span, without type-specific fields.
    pub fn new(kind: impl Into<String>, offset: i64, length: i64) -> Self {
        Entity {
            kind: kind.into(),
            offset,
            length,
            ..Entity::default()
        }
    }

    /// The borrowed view of this entity.
    pub fn as_ref(&self) -> EntityRef<'_> {
        EntityRef {
            kind: &self.kind,
            offset: self.offset,
            length: self.length,
            url: self.url.as_deref(),
            user_id: self.user_id,
            language: self.language.as_deref(),
            custom_emoji_id: self.custom_emoji_id.as_deref(),
        }
    }
}

impl<'a> From<&'a Entity> for EntityRef<'a> {
    fn from(entity: &'a Entity) -> Self {
        entity.as_ref()
    }
}

// ---------------------------------------------------------------------------------------------
// UTF-16 offsets
// ---------------------------------------------------------------------------------------------

/// The length of `s` in UTF-16 code units, the unit of entity offsets.
///
/// ```
/// use botwire_core::telegram::entities::utf16_len;
/// assert_eq!(utf16_len("💡 Tip"), 6);
/// ```
pub fn utf16_len(s: &str) -> usize {
    s.bytes()
        .map(|b| match b {
            0x80..=0xBF => 0, // continuation byte
            0xF0..=0xFF => 2, // first byte of a 4-byte sequence: a surrogate pair
            _ => 1,
        })
        .sum()
}

/// The byte range of `text` covered by an entity's UTF-16 `offset` and `length`.
///
/// Returns `None` when `offset` or `length` is negative, when the span reaches beyond the end
/// of the text, or when either boundary falls between the two halves of a surrogate pair. An
/// empty span at a valid position gives an empty range.
///
/// ```
/// use botwire_core::telegram::entities::utf16_to_byte_range;
/// let text = "💡 Tip: use /start";
/// assert_eq!(utf16_to_byte_range(text, 12, 6), Some(14..20));
/// assert_eq!(utf16_to_byte_range(text, 1, 2), None); // starts inside the 💡 surrogate pair
/// assert_eq!(utf16_to_byte_range(text, 12, 7), None); // beyond the end
/// ```
pub fn utf16_to_byte_range(text: &str, offset: i64, length: i64) -> Option<Range<usize>> {
    let start = usize::try_from(offset).ok()?;
    let end = start.checked_add(usize::try_from(length).ok()?)?;
    let mut units = 0usize;
    let mut start_byte = None;
    let boundaries = text.char_indices().map(|(i, c)| (i, c.len_utf16()));
    for (byte, width) in boundaries.chain(std::iter::once((text.len(), 0))) {
        if units == start {
            start_byte = Some(byte);
        }
        if units == end {
            return start_byte.map(|s| s..byte);
        }
        if units > end || width == 0 {
            return None;
        }
        units += width;
    }
    None
}

/// The part of `text` covered by an entity's UTF-16 `offset` and `length`, or `None` when the
/// span is invalid (see [`utf16_to_byte_range`]).
///
/// ```
/// use botwire_core::telegram::entities::slice_utf16;
/// assert_eq!(slice_utf16("💡 Tip: use /start", 12, 6), Some("/start"));
/// ```
pub fn slice_utf16(text: &str, offset: i64, length: i64) -> Option<&str> {
    utf16_to_byte_range(text, offset, length).map(|range| &text[range])
}

/// Maps ascending UTF-16 positions to byte indices in one pass; `None` for a position inside a
/// surrogate pair or beyond the end.
fn utf16_positions_to_bytes(text: &str, positions: &[usize]) -> Vec<Option<usize>> {
    let mut result = vec![None; positions.len()];
    let mut next = 0;
    let mut units = 0usize;
    let boundaries = text.char_indices().map(|(i, c)| (i, c.len_utf16()));
    for (byte, width) in boundaries.chain(std::iter::once((text.len(), 0))) {
        while next < positions.len() && positions[next] < units {
            next += 1; // fell inside a surrogate pair
        }
        while next < positions.len() && positions[next] == units {
            result[next] = Some(byte);
            next += 1;
        }
        if next == positions.len() {
            break;
        }
        units += width;
    }
    result
}

/// Maps ascending byte indices (at char boundaries) to UTF-16 positions.
fn byte_positions_to_utf16(text: &str, positions: &[usize]) -> Vec<usize> {
    let mut units = 0;
    let mut last = 0;
    positions
        .iter()
        .map(|&pos| {
            units += utf16_len(&text[last..pos]);
            last = pos;
            units
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Normalised entity trees
// ---------------------------------------------------------------------------------------------

/// A formatting entity that produces markup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Markup<'a> {
    Blockquote { expandable: bool },
    TextLink(&'a str),
    TextMention(i64),
    Bold,
    Underline,
    Italic,
    Strikethrough,
    Spoiler,
    CustomEmoji(&'a str),
    Pre(Option<&'a str>),
    Code,
}

impl<'a> Markup<'a> {
    fn of(entity: &EntityRef<'a>) -> Option<Self> {
        let non_empty = |s: Option<&'a str>| s.filter(|s| !s.is_empty());
        Some(match entity.kind {
            "bold" => Markup::Bold,
            "italic" => Markup::Italic,
            "underline" => Markup::Underline,
            "strikethrough" => Markup::Strikethrough,
            "spoiler" => Markup::Spoiler,
            "code" => Markup::Code,
            "pre" => Markup::Pre(non_empty(entity.language)),
            "text_link" => Markup::TextLink(non_empty(entity.url)?),
            "text_mention" => Markup::TextMention(entity.user_id?),
            "custom_emoji" => Markup::CustomEmoji(non_empty(entity.custom_emoji_id)?),
            "blockquote" => Markup::Blockquote { expandable: false },
            "expandable_blockquote" => Markup::Blockquote { expandable: true },
            _ => return None,
        })
    }

    /// Nesting order for entities with the same span: a smaller rank is outside.
    fn rank(self) -> u8 {
        match self {
            Markup::Blockquote { .. } => 0,
            Markup::TextLink(_) | Markup::TextMention(_) => 1,
            Markup::Bold => 2,
            Markup::Underline => 3,
            Markup::Italic => 4,
            Markup::Strikethrough => 5,
            Markup::Spoiler => 6,
            Markup::CustomEmoji(_) => 7,
            Markup::Pre(_) => 8,
            Markup::Code => 9,
        }
    }

    fn is_verbatim(self) -> bool {
        matches!(self, Markup::Code | Markup::Pre(_))
    }

    fn is_link(self) -> bool {
        matches!(
            self,
            Markup::TextLink(_) | Markup::TextMention(_) | Markup::CustomEmoji(_)
        )
    }

    fn is_quote(self) -> bool {
        matches!(self, Markup::Blockquote { .. })
    }

    /// Whether `inner` may be nested in `self`: `code` and `pre` contain nothing, blockquotes do
    /// not nest in blockquotes, links (and mentions and custom emoji) not in links, and a style
    /// inside the same style would be redundant.
    fn can_contain(self, inner: Markup<'_>) -> bool {
        let same_style = matches!(
            (self, inner),
            (Markup::Bold, Markup::Bold)
                | (Markup::Italic, Markup::Italic)
                | (Markup::Underline, Markup::Underline)
                | (Markup::Strikethrough, Markup::Strikethrough)
                | (Markup::Spoiler, Markup::Spoiler)
        );
        !(self.is_verbatim()
            || same_style
            || (self.is_quote() && inner.is_quote())
            || (self.is_link() && inner.is_link()))
    }

    fn is_legacy(self) -> bool {
        matches!(
            self,
            Markup::Bold
                | Markup::Italic
                | Markup::Code
                | Markup::Pre(_)
                | Markup::TextLink(_)
                | Markup::TextMention(_)
        )
    }

    fn to_entity(self, offset: i64, length: i64) -> Entity {
        let (kind, mut entity) = match self {
            Markup::Blockquote { expandable: false } => ("blockquote", Entity::default()),
            Markup::Blockquote { expandable: true } => ("expandable_blockquote", Entity::default()),
            Markup::TextLink(url) => (
                "text_link",
                Entity {
                    url: Some(url.to_owned()),
                    ..Entity::default()
                },
            ),
            Markup::TextMention(user_id) => (
                "text_mention",
                Entity {
                    user_id: Some(user_id),
                    ..Entity::default()
                },
            ),
            Markup::Bold => ("bold", Entity::default()),
            Markup::Underline => ("underline", Entity::default()),
            Markup::Italic => ("italic", Entity::default()),
            Markup::Strikethrough => ("strikethrough", Entity::default()),
            Markup::Spoiler => ("spoiler", Entity::default()),
            Markup::CustomEmoji(id) => (
                "custom_emoji",
                Entity {
                    custom_emoji_id: Some(id.to_owned()),
                    ..Entity::default()
                },
            ),
            Markup::Pre(language) => (
                "pre",
                Entity {
                    language: language.map(str::to_owned),
                    ..Entity::default()
                },
            ),
            Markup::Code => ("code", Entity::default()),
        };
        entity.kind = kind.to_owned();
        entity.offset = offset;
        entity.length = length;
        entity
    }
}

/// A formatting entity mapped to a byte range of the text.
#[derive(Debug, Clone, Copy)]
struct Span<'a> {
    start: usize,
    end: usize,
    markup: Markup<'a>,
}

/// The syntax a tree is built for; each has its own limits on what it can express.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Html,
    MarkdownV2,
    Legacy,
}

/// Step 1 of the algorithm: keep the entities that produce markup and map them to valid,
/// non-empty byte ranges.
fn spans_of<'a>(text: &str, entities: &[EntityRef<'a>], target: Target) -> Vec<Span<'a>> {
    // (markup, start, end) in UTF-16 units; an end that overflows stays beyond any text.
    let wanted: Vec<(Markup<'a>, usize, usize)> = entities
        .iter()
        .filter_map(|entity| {
            let markup = Markup::of(entity)?;
            if target == Target::Legacy && !markup.is_legacy() {
                return None;
            }
            let start = usize::try_from(entity.offset).ok()?;
            let length = usize::try_from(entity.length).ok().filter(|&l| l > 0)?;
            Some((markup, start, start.saturating_add(length)))
        })
        .collect();
    // Map every boundary in one pass over the text.
    let mut positions: Vec<usize> = wanted.iter().flat_map(|&(_, s, e)| [s, e]).collect();
    positions.sort_unstable();
    positions.dedup();
    let bytes = utf16_positions_to_bytes(text, &positions);
    let byte_of = |units: usize| positions.binary_search(&units).ok().and_then(|i| bytes[i]);
    wanted
        .into_iter()
        .filter_map(|(markup, start, end)| {
            Some(Span {
                start: byte_of(start)?,
                end: byte_of(end)?,
                markup,
            })
        })
        .collect()
}

/// MarkdownV2 can only quote whole lines, and a quote ends at the first line break not followed
/// by `>`, which Telegram's parser counts as part of the quote and which only the quote (its
/// innermost open entity then) can take. Keep the quotes that start at a line start and end at
/// a line end (a trailing line break is taken out of the quote, the parser puts it back); cut
/// every other entity that crosses a quote boundary, or that contains a quote but does not
/// extend past that line break, at the quote boundary; and move an entity that starts on the
/// line break that ends a quote past it.
fn fit_quotes_to_lines(text: &str, spans: &mut Vec<Span<'_>>) {
    let bytes = text.as_bytes();
    let len = bytes.len();
    let mut quotes: Vec<Span<'_>> = Vec::new();
    spans.retain(|span| {
        if span.markup.is_quote() {
            quotes.push(*span);
            false
        } else {
            true
        }
    });
    quotes.sort_by_key(|q| (q.start, Reverse(q.end)));
    let mut kept: Vec<Span<'_>> = Vec::new();
    for mut quote in quotes {
        if quote.start > 0 && bytes[quote.start - 1] != b'\n' {
            continue;
        }
        if quote.end - quote.start > 1 && bytes[quote.end - 1] == b'\n' {
            quote.end -= 1;
        }
        if quote.end < len && bytes[quote.end] != b'\n' {
            continue;
        }
        // No quote in a quote, nor one starting on the line break that ends the previous one.
        if kept
            .last()
            .is_some_and(|last| quote.start <= last.end && last.end < len)
        {
            continue;
        }
        kept.push(quote);
    }
    for span in spans.iter_mut() {
        for quote in &kept {
            let contains = span.start <= quote.start && span.end >= quote.end;
            let same_span = span.start == quote.start && span.end == quote.end;
            if contains && (span.end > quote.end || same_span) {
                // An ancestor that closes after the quote's line break, or an entity with the
                // same span, which nests inside the quote.
            } else if span.start < quote.start && span.end > quote.start {
                span.end = quote.start;
            } else if span.start >= quote.start && span.start < quote.end && span.end > quote.end {
                span.end = quote.end;
            }
            if quote.end < len && span.start == quote.end {
                span.start += 1; // the line break that ends the quote is one byte
            }
        }
    }
    spans.retain(|span| span.start < span.end);
    spans.extend(kept);
}

/// Step 2 of the algorithm: sort by (start ascending, end descending), cut partial
/// overlaps at the enclosing end, and drop entities that may not nest where they are. The
/// result is in document order, each entity after its ancestors.
fn nest<'a>(mut spans: Vec<Span<'a>>, target: Target) -> Vec<Span<'a>> {
    spans.sort_by_key(|s| (s.start, Reverse(s.end), s.markup.rank()));
    let mut tree: Vec<Span<'a>> = Vec::with_capacity(spans.len());
    let mut stack: Vec<usize> = Vec::new();
    for mut span in spans {
        while stack.last().is_some_and(|&top| tree[top].end <= span.start) {
            stack.pop();
        }
        if let Some(&top) = stack.last() {
            span.end = span.end.min(tree[top].end);
        }
        let allowed = match target {
            Target::Legacy => stack.is_empty(),
            Target::Html | Target::MarkdownV2 => stack
                .iter()
                .all(|&i| tree[i].markup.can_contain(span.markup)),
        };
        if allowed {
            tree.push(span);
            stack.push(tree.len() - 1);
        }
    }
    tree
}

/// The canonical order of entity lists returned by this module.
fn canonical_key(entity: &Entity) -> (i64, Reverse<i64>, u8) {
    let rank = Markup::of(&entity.as_ref()).map_or(u8::MAX, Markup::rank);
    (entity.offset, Reverse(entity.length), rank)
}

/// Converts a tree back to entities with UTF-16 offsets, in canonical order.
fn entities_of(text: &str, tree: &[Span<'_>]) -> Vec<Entity> {
    let mut positions: Vec<usize> = tree.iter().flat_map(|s| [s.start, s.end]).collect();
    positions.sort_unstable();
    positions.dedup();
    let units = byte_positions_to_utf16(text, &positions);
    let unit_of = |byte: usize| {
        positions
            .binary_search(&byte)
            .map_or(0, |i| units[i] as i64)
    };
    let mut entities: Vec<Entity> = tree
        .iter()
        .map(|span| {
            let offset = unit_of(span.start);
            span.markup.to_entity(offset, unit_of(span.end) - offset)
        })
        .collect();
    entities.sort_by_key(canonical_key);
    entities
}

/// The formatting entities [`to_html`] renders for `text`, as [`parse_html`] returns them for
/// its output: entities without markup and invalid or empty ones dropped, partial overlaps cut,
/// entities that may not nest where they are dropped (anything inside `code`/`pre`, a blockquote
/// in a blockquote, a link or custom emoji in a link, a style inside the same style), sorted by
/// offset ascending, then length descending, then nesting order.
///
/// This is the "equivalent entity list" of a round trip through HTML; MarkdownV2 gives the
/// same except where [`to_markdown_v2`] documents otherwise.
///
/// ```
/// use botwire_core::telegram::entities::{normalize_entities, EntityRef};
/// let text = "hello world";
/// let entities = [
///     EntityRef::new("italic", 0, 8),
///     EntityRef::new("mention", 0, 5),
///     EntityRef::new("bold", 6, 5), // overlaps the italic: cut at its end
/// ];
/// let normal = normalize_entities(text, &entities);
/// let spans: Vec<_> = normal.iter().map(|e| (e.kind.as_str(), e.offset, e.length)).collect();
/// assert_eq!(spans, [("italic", 0, 8), ("bold", 6, 2)]);
/// ```
pub fn normalize_entities(text: &str, entities: &[EntityRef<'_>]) -> Vec<Entity> {
    let tree = nest(spans_of(text, entities, Target::Html), Target::Html);
    entities_of(text, &tree)
}

// ---------------------------------------------------------------------------------------------
// Walking a tree
// ---------------------------------------------------------------------------------------------

enum Event<'s, 'a> {
    Open(&'s Span<'a>),
    Close(&'s Span<'a>),
    Text(Range<usize>),
}

/// Step 3 of the algorithm: at each boundary, close the entities that end there (innermost
/// first), then open those that start there (outermost first), then emit the text up to the
/// next boundary.
fn walk<'s, 'a>(len: usize, tree: &'s [Span<'a>], mut f: impl FnMut(Event<'s, 'a>)) {
    let mut stack: Vec<&'s Span<'a>> = Vec::new();
    let mut next = 0;
    let mut pos = 0;
    loop {
        while let Some(top) = stack.last().copied().filter(|top| top.end <= pos) {
            f(Event::Close(top));
            stack.pop();
        }
        while let Some(span) = tree.get(next).filter(|span| span.start <= pos) {
            f(Event::Open(span));
            stack.push(span);
            next += 1;
        }
        if pos >= len {
            break;
        }
        let mut boundary = len;
        if let Some(top) = stack.last() {
            boundary = boundary.min(top.end);
        }
        if let Some(span) = tree.get(next) {
            boundary = boundary.min(span.start);
        }
        f(Event::Text(pos..boundary));
        pos = boundary;
    }
}

// ---------------------------------------------------------------------------------------------
// HTML
// ---------------------------------------------------------------------------------------------

fn push_html_escaped(out: &mut String, text: &str, attribute: bool) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

/// Renders `text` with its entities as a string for `parse_mode` `HTML` (section 8.10).
///
/// Tags: `<b>`, `<i>`, `<u>`, `<s>`, `<tg-spoiler>`, `<code>`, `<pre>` (a `pre` with a language
/// becomes `<pre><code class="language-…">`), `<a href>` for `text_link` and `text_mention`
/// (`tg://user?id=…`), `<tg-emoji emoji-id>`, `<blockquote>` and `<blockquote expandable>`.
/// `&`, `<` and `>` are escaped everywhere, and `"` too inside attribute values. Entities are
/// nested and filtered as [`normalize_entities`] describes; invalid entities are skipped.
///
/// ```
/// use botwire_core::telegram::entities::{to_html, EntityRef};
/// let text = "a<b & \"c\"";
/// let link = EntityRef { url: Some("https://x.y/?a=1&b=\"2\""), ..EntityRef::new("text_link", 0, 3) };
/// assert_eq!(
///     to_html(text, &[link]),
///     "<a href=\"https://x.y/?a=1&amp;b=&quot;2&quot;\">a&lt;b</a> &amp; \"c\""
/// );
/// ```
pub fn to_html(text: &str, entities: &[EntityRef<'_>]) -> String {
    let tree = nest(spans_of(text, entities, Target::Html), Target::Html);
    let mut out = String::with_capacity(text.len() + text.len() / 8 + tree.len() * 16);
    walk(text.len(), &tree, |event| match event {
        Event::Text(range) => push_html_escaped(&mut out, &text[range], false),
        Event::Open(span) => match span.markup {
            Markup::Bold => out.push_str("<b>"),
            Markup::Italic => out.push_str("<i>"),
            Markup::Underline => out.push_str("<u>"),
            Markup::Strikethrough => out.push_str("<s>"),
            Markup::Spoiler => out.push_str("<tg-spoiler>"),
            Markup::Code => out.push_str("<code>"),
            Markup::Pre(None) => out.push_str("<pre>"),
            Markup::Pre(Some(language)) => {
                out.push_str("<pre><code class=\"language-");
                push_html_escaped(&mut out, language, true);
                out.push_str("\">");
            }
            Markup::TextLink(url) => {
                out.push_str("<a href=\"");
                push_html_escaped(&mut out, url, true);
                out.push_str("\">");
            }
            Markup::TextMention(user_id) => {
                out.push_str("<a href=\"tg://user?id=");
                out.push_str(&user_id.to_string());
                out.push_str("\">");
            }
            Markup::CustomEmoji(id) => {
                out.push_str("<tg-emoji emoji-id=\"");
                push_html_escaped(&mut out, id, true);
                out.push_str("\">");
            }
            Markup::Blockquote { expandable: false } => out.push_str("<blockquote>"),
            Markup::Blockquote { expandable: true } => out.push_str("<blockquote expandable>"),
        },
        Event::Close(span) => out.push_str(match span.markup {
            Markup::Bold => "</b>",
            Markup::Italic => "</i>",
            Markup::Underline => "</u>",
            Markup::Strikethrough => "</s>",
            Markup::Spoiler => "</tg-spoiler>",
            Markup::Code => "</code>",
            Markup::Pre(None) => "</pre>",
            Markup::Pre(Some(_)) => "</code></pre>",
            Markup::TextLink(_) | Markup::TextMention(_) => "</a>",
            Markup::CustomEmoji(_) => "</tg-emoji>",
            Markup::Blockquote { .. } => "</blockquote>",
        }),
    });
    out
}

// ---------------------------------------------------------------------------------------------
// MarkdownV2
// ---------------------------------------------------------------------------------------------

/// The 18 characters MarkdownV2 reserves outside code and link targets.
const MARKDOWN_V2_SPECIALS: &[u8; 18] = b"_*[]()~`>#+-=|{}.!";

/// Telegram's notion of a space (`td::is_space`): it ends a `pre` language and tag names.
fn is_td_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\0' | 0x0b | 0x0c)
}

/// A `pre` language MarkdownV2 can carry: the parser reads it up to the first space or
/// backtick, without escapes.
fn is_markdown_language(language: &str) -> bool {
    !language.is_empty() && !language.bytes().any(|b| is_td_space(b) || b == b'`')
}

/// The line break after ```` ``` ```` (and the language) that the parser skips: one `\n`, or
/// `\r\n` when the block itself starts with `\r` (a lone `\n` would swallow it).
fn pre_opening_break(content: &str) -> &'static str {
    if content.starts_with('\r') {
        "\r\n"
    } else {
        "\n"
    }
}

struct MarkdownV2Writer<'t, 'a> {
    text: &'t str,
    out: String,
    /// Open entities, innermost last.
    open: Vec<Markup<'a>>,
    /// The last thing written was an italic marker `_`.
    after_italic: bool,
    /// End (byte) of the last blockquote closed.
    last_quote_end: Option<usize>,
    /// Where blockquotes start (bytes, ascending).
    quote_starts: Vec<usize>,
}

impl MarkdownV2Writer<'_, '_> {
    /// Writes a marker. A `_` directly after an italic `_` would be read as underline `__`, so
    /// an empty bold (`**`) is put between them, as the Bot API documentation prescribes; when
    /// the innermost open entity is bold, `**` would close it, so an empty strikethrough (`~~`)
    /// serves instead.
    fn marker(&mut self, marker: &str) {
        if self.after_italic && marker.starts_with('_') {
            self.out.push_str(self.empty_entity());
        }
        self.out.push_str(marker);
        self.after_italic = marker == "_";
    }

    /// An empty entity, which the parser drops: used as a separator. An empty bold `**`, or an
    /// empty strikethrough `~~` when bold is the innermost open entity (`**` would close it).
    fn empty_entity(&self) -> &'static str {
        if self.open.last() == Some(&Markup::Bold) {
            "~~"
        } else {
            "**"
        }
    }

    fn target(&mut self, url: &str) {
        self.out.push_str("](");
        for c in url.chars() {
            if c == ')' || c == '\\' {
                self.out.push('\\');
            }
            self.out.push(c);
        }
        self.out.push(')');
        self.after_italic = false;
    }

    fn text(&mut self, range: Range<usize>) {
        let start = range.start;
        let segment = &self.text[range];
        if segment.is_empty() {
            return;
        }
        self.after_italic = false;
        let verbatim = self.open.last().is_some_and(|m| m.is_verbatim());
        let quoted = self.open.iter().any(|m| m.is_quote());
        for (i, c) in segment.char_indices() {
            if verbatim {
                // Inside code a line break does not start a line for `>`; an escaped one does.
                let before_quote =
                    c == '\n' && self.quote_starts.binary_search(&(start + i + 1)).is_ok();
                if c == '`' || c == '\\' || before_quote {
                    self.out.push('\\');
                }
                self.out.push(c);
            } else if c == '\n' {
                self.out.push('\n');
                if quoted {
                    self.out.push('>');
                }
            } else {
                if c == '\\' || (c.is_ascii() && MARKDOWN_V2_SPECIALS.contains(&(c as u8))) {
                    self.out.push('\\');
                }
                self.out.push(c);
            }
        }
    }

    fn open(&mut self, span: &Span<'_>) {
        match span.markup {
            Markup::Blockquote { expandable } => {
                let after_quote = self.last_quote_end.is_some_and(|end| end + 1 == span.start);
                if expandable || after_quote {
                    self.marker(self.empty_entity());
                }
                self.marker(">");
            }
            Markup::TextLink(_) | Markup::TextMention(_) => self.marker("["),
            Markup::CustomEmoji(_) => self.marker("!["),
            Markup::Bold => self.marker("*"),
            Markup::Underline => self.marker("__"),
            Markup::Italic => self.marker("_"),
            Markup::Strikethrough => self.marker("~"),
            Markup::Spoiler => self.marker("||"),
            Markup::Code => self.marker("`"),
            Markup::Pre(language) => {
                self.marker("```");
                if let Some(language) = language.filter(|l| is_markdown_language(l)) {
                    self.out.push_str(language);
                }
                let content = &self.text[span.start..span.end];
                self.out.push_str(pre_opening_break(content));
            }
        }
    }

    fn close(&mut self, span: &Span<'_>) {
        match span.markup {
            Markup::Blockquote { expandable } => {
                if expandable {
                    self.marker("||");
                }
                self.last_quote_end = Some(span.end);
            }
            Markup::TextLink(url) => self.target(url),
            Markup::TextMention(user_id) => self.target(&format!("tg://user?id={user_id}")),
            Markup::CustomEmoji(id) => self.target(&format!("tg://emoji?id={id}")),
            Markup::Bold => self.marker("*"),
            Markup::Underline => self.marker("__"),
            Markup::Italic => self.marker("_"),
            Markup::Strikethrough => self.marker("~"),
            Markup::Spoiler => self.marker("||"),
            Markup::Code => self.marker("`"),
            Markup::Pre(_) => self.marker("```"),
        }
    }
}

/// Renders `text` with its entities as a string for `parse_mode` `MarkdownV2` (section 8.10).
///
/// Syntax: `*bold*`, `_italic_`, `__underline__`, `~strikethrough~`, `||spoiler||`,
/// `[text](url)` (also `tg://user?id=…` for `text_mention`), `![👍](tg://emoji?id=…)`,
/// `` `code` ``, ```` ```language ```` blocks, and blockquotes as `>` line prefixes
/// (`**>` … `||` when expandable). Outside code and link targets the 18 characters
/// `_*[]()~`>#+-=|{}.!` and `\` are escaped with `\`; inside `code`/`pre` only `` ` `` and `\`;
/// inside a link target only `)` and `\`. Italic directly followed by another `_` marker gets
/// the empty-bold separator of the current Bot API documentation (`___italic underline_**__`).
///
/// Limits of the syntax, where the round trip is not exact:
///
/// - a blockquote must cover whole lines, and an entity around it must go on past the line
///   break that ends it; a blockquote that does not cover whole lines is written without its
///   markup, and entities crossing a blockquote boundary (or around one, ending with it) are
///   cut at it;
/// - Telegram's parser counts the line break that ends a blockquote as part of it, so a quote
///   that ends just before a line break comes back one unit longer;
/// - a `pre` language containing a space or a backtick is dropped.
///
/// ```
/// use botwire_core::telegram::entities::{to_markdown_v2, EntityRef};
/// let text = "italic underline";
/// let entities = [EntityRef::new("underline", 0, 16), EntityRef::new("italic", 0, 16)];
/// assert_eq!(to_markdown_v2(text, &entities), "___italic underline_**__");
/// assert_eq!(to_markdown_v2("1+1=2!", &[]), "1\\+1\\=2\\!");
/// ```
pub fn to_markdown_v2(text: &str, entities: &[EntityRef<'_>]) -> String {
    let mut spans = spans_of(text, entities, Target::MarkdownV2);
    fit_quotes_to_lines(text, &mut spans);
    let tree = nest(spans, Target::MarkdownV2);
    let mut writer = MarkdownV2Writer {
        text,
        out: String::with_capacity(text.len() + text.len() / 8 + tree.len() * 4),
        open: Vec::new(),
        after_italic: false,
        last_quote_end: None,
        quote_starts: tree
            .iter()
            .filter(|s| s.markup.is_quote())
            .map(|s| s.start)
            .collect(),
    };
    walk(text.len(), &tree, |event| match event {
        Event::Text(range) => writer.text(range),
        Event::Open(span) => {
            writer.open(span);
            writer.open.push(span.markup);
        }
        Event::Close(span) => {
            writer.open.pop();
            writer.close(span);
        }
    });
    writer.out
}

// ---------------------------------------------------------------------------------------------
// Legacy Markdown
// ---------------------------------------------------------------------------------------------

/// Renders `text` with its entities as a string for the legacy `parse_mode` `Markdown`, kept for
/// compatibility only (section 8.10, step 6).
///
/// Only `bold`, `italic`, `code`, `pre`, `text_link` and `text_mention` exist in this syntax,
/// and they do not nest: each outermost one of them is written and everything inside it is
/// plain. `_`, `*`, `` ` `` and `[` are escaped with `\` outside entities. Inside an entity no
/// escape exists, so a character that would end it (`*` in bold, `_` in italic, `` ` `` in
/// code and pre, `]` in link text) is written by closing the entity, writing the character
/// (escaped if needed) and reopening the entity. A `)` in a link target is written as `%29`.
///
/// The syntax cannot write a `\` directly before an entity's opening marker: the parser would
/// take it as an escape.
///
/// ```
/// use botwire_core::telegram::entities::{to_markdown_legacy, EntityRef};
/// let text = "2*3 is *six*";
/// let entities = [EntityRef::new("bold", 0, 3), EntityRef::new("italic", 7, 5)];
/// assert_eq!(to_markdown_legacy(text, &entities), "*2*\\**3* is _*six*_");
/// ```
pub fn to_markdown_legacy(text: &str, entities: &[EntityRef<'_>]) -> String {
    let tree = nest(spans_of(text, entities, Target::Legacy), Target::Legacy);
    let mut out = String::with_capacity(text.len() + text.len() / 8 + tree.len() * 4);
    let mut pos = 0;
    for span in &tree {
        push_legacy_escaped(&mut out, &text[pos..span.start]);
        write_legacy_entity(&mut out, &text[span.start..span.end], span.markup);
        pos = span.end;
    }
    push_legacy_escaped(&mut out, &text[pos..]);
    out
}

fn is_legacy_special(c: char) -> bool {
    matches!(c, '_' | '*' | '`' | '[')
}

fn push_legacy_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        if is_legacy_special(c) {
            out.push('\\');
        }
        out.push(c);
    }
}

fn write_legacy_entity(out: &mut String, content: &str, markup: Markup<'_>) {
    let breaker = match markup {
        Markup::Bold => '*',
        Markup::Italic => '_',
        Markup::Code | Markup::Pre(_) => '`',
        _ => ']',
    };
    let mut rest = content;
    while !rest.is_empty() {
        let piece_len = rest.find(breaker).unwrap_or(rest.len());
        let (piece, tail) = rest.split_at(piece_len);
        if !piece.is_empty() {
            match markup {
                Markup::Bold => out.push('*'),
                Markup::Italic => out.push('_'),
                Markup::Code => out.push('`'),
                Markup::Pre(language) => {
                    out.push_str("```");
                    if let Some(language) = language.filter(|l| is_markdown_language(l)) {
                        out.push_str(language);
                    }
                    out.push_str(pre_opening_break(piece));
                }
                _ => out.push('['),
            }
            out.push_str(piece);
            match markup {
                Markup::Bold => out.push('*'),
                Markup::Italic => out.push('_'),
                Markup::Code => out.push('`'),
                Markup::Pre(_) => out.push_str("```"),
                Markup::TextMention(user_id) => {
                    out.push_str("](tg://user?id=");
                    out.push_str(&user_id.to_string());
                    out.push(')');
                }
                Markup::TextLink(url) => {
                    out.push_str("](");
                    out.push_str(&url.replace(')', "%29"));
                    out.push(')');
                }
                _ => {}
            }
        }
        if let Some(c) = tail.chars().next() {
            push_legacy_escaped(out, &tail[..c.len_utf8()]);
            rest = &tail[c.len_utf8()..];
        } else {
            rest = tail;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing markup
// ---------------------------------------------------------------------------------------------

/// Why a markup string could not be parsed; the messages are those of the Bot API's
/// "Bad Request: can't parse entities: …" errors. Byte offsets are into the markup string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MarkupError {
    /// MarkdownV2: a reserved character that starts no entity was not escaped.
    #[error("Character '{character}' is reserved and must be escaped with the preceding '\\'")]
    ReservedCharacter {
        /// The character.
        character: char,
        /// Where it is.
        byte_offset: usize,
    },
    /// MarkdownV2: an entity was opened and never closed.
    #[error("Can't find end of {entity} entity at byte offset {byte_offset}")]
    UnclosedEntity {
        /// Telegram's name of the entity type (`Bold`, `Italic`, `PreCode`, ...).
        entity: &'static str,
        /// Where the entity starts.
        byte_offset: usize,
    },
    /// MarkdownV2: a link target `(…` has no closing `)`.
    #[error("Can't find end of a URL at byte offset {byte_offset}")]
    UnclosedUrl {
        /// Where the URL starts.
        byte_offset: usize,
    },
    /// MarkdownV2: `![…]` is not followed by `(tg://emoji?id=…)`.
    #[error("The entity must contain a tg://emoji or tg://time URL")]
    MissingEmojiUrl {
        /// Where the entity starts.
        byte_offset: usize,
    },
    /// MarkdownV2: the target of `![…](…)` is not a valid `tg://emoji` or `tg://time` URL.
    #[error("Invalid tg://emoji or tg://time URL specified")]
    InvalidEmojiUrl {
        /// Where the entity starts.
        byte_offset: usize,
    },
    /// HTML: a start tag is not closed by `>`.
    #[error("Unclosed start tag{} at byte offset {byte_offset}", quoted_tag(tag))]
    UnclosedStartTag {
        /// The tag name, when it was read completely.
        tag: Option<String>,
        /// Where the tag starts.
        byte_offset: usize,
    },
    /// HTML: a tag other than the supported ones.
    #[error("Unsupported start tag \"{tag}\" at byte offset {byte_offset}")]
    UnsupportedStartTag {
        /// The tag name, lower-cased.
        tag: String,
        /// Where the tag starts.
        byte_offset: usize,
    },
    /// HTML: an attribute without a name (e.g. `<b =x>` or `<b/>`).
    #[error("Empty attribute name in the tag \"{tag}\" at byte offset {byte_offset}")]
    EmptyAttributeName {
        /// The tag name.
        tag: String,
        /// Where the tag starts.
        byte_offset: usize,
    },
    /// HTML: an unquoted attribute value with characters other than letters, digits, `.`, `-`.
    #[error("Unexpected end of name token at byte offset {byte_offset}")]
    UnexpectedEndOfNameToken {
        /// Where the value starts.
        byte_offset: usize,
    },
    /// HTML: `<span>` without `class="tg-spoiler"`.
    #[error("Tag \"span\" must have class \"tg-spoiler\" at byte offset {byte_offset}")]
    SpanWithoutSpoilerClass {
        /// Where the tag starts.
        byte_offset: usize,
    },
    /// HTML: an end tag with no open tag.
    #[error("Unexpected end tag at byte offset {byte_offset}")]
    UnexpectedEndTag {
        /// Where the end tag starts.
        byte_offset: usize,
    },
    /// HTML: an end tag not closed by `>`.
    #[error("Unclosed end tag at byte offset {byte_offset}")]
    UnclosedEndTag {
        /// Where the end tag starts.
        byte_offset: usize,
    },
    /// HTML: an end tag that does not match the innermost open tag.
    #[error("Unmatched end tag at byte offset {byte_offset}, expected \"</{expected}>\", found \"</{found}>\"")]
    UnmatchedEndTag {
        /// Where the end tag starts.
        byte_offset: usize,
        /// The innermost open tag.
        expected: String,
        /// The end tag found.
        found: String,
    },
    /// HTML: a tag still open at the end of the text.
    #[error("Can't find end tag corresponding to start tag \"{tag}\"")]
    MissingEndTag {
        /// The innermost open tag.
        tag: String,
    },
    /// HTML: `<tg-emoji>` without a valid non-zero `emoji-id`.
    #[error("Invalid custom emoji identifier specified")]
    InvalidCustomEmojiId {
        /// Where the tag ends.
        byte_offset: usize,
    },
    /// HTML: a numeric character reference to half of a surrogate pair.
    #[error(
        "Text contains invalid Unicode characters after decoding HTML entities, check for unmatched surrogate code units"
    )]
    InvalidSurrogate {
        /// Where the character reference starts.
        byte_offset: usize,
    },
}

fn quoted_tag(tag: &Option<String>) -> String {
    tag.as_ref()
        .map(|t| format!(" \"{t}\""))
        .unwrap_or_default()
}

impl MarkupError {
    /// The `description` the Bot API returns with error code 400 for this error.
    ///
    /// ```
    /// use botwire_core::telegram::entities::parse_markdown_v2;
    /// let error = parse_markdown_v2("1.5").unwrap_err();
    /// assert_eq!(
    ///     error.telegram_description(),
    ///     "Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the preceding '\\'"
    /// );
    /// ```
    pub fn telegram_description(&self) -> String {
        format!("Bad Request: can't parse entities: {self}")
    }
}

/// An entity found by a parser, over a byte range of the parsed text.
struct Found {
    start: usize,
    end: usize,
    kind: FoundKind,
}

enum FoundKind {
    Bold,
    Italic,
    Underline,
    Strikethrough,
    Spoiler,
    Code(Option<String>),
    Pre(Option<String>),
    TextLink(String),
    TextMention(i64),
    CustomEmoji(String),
    Blockquote { expandable: bool },
}

/// Finishes a parse: nests the entities found like the writers do and converts them to
/// UTF-16 offsets in canonical order.
fn finish(text: String, found: &[Found]) -> (String, Vec<Entity>) {
    let spans: Vec<Span<'_>> = found
        .iter()
        .filter(|f| f.start < f.end)
        .map(|f| Span {
            start: f.start,
            end: f.end,
            markup: match &f.kind {
                FoundKind::Bold => Markup::Bold,
                FoundKind::Italic => Markup::Italic,
                FoundKind::Underline => Markup::Underline,
                FoundKind::Strikethrough => Markup::Strikethrough,
                FoundKind::Spoiler => Markup::Spoiler,
                FoundKind::Code(_) => Markup::Code,
                FoundKind::Pre(language) => Markup::Pre(language.as_deref()),
                FoundKind::TextLink(url) => Markup::TextLink(url),
                FoundKind::TextMention(user_id) => Markup::TextMention(*user_id),
                FoundKind::CustomEmoji(id) => Markup::CustomEmoji(id),
                FoundKind::Blockquote { expandable } => Markup::Blockquote {
                    expandable: *expandable,
                },
            },
        })
        .collect();
    let tree = nest(spans, Target::Html);
    let entities = entities_of(&text, &tree);
    (text, entities)
}

/// Parses a `tg:` link of the given host and returns its query string (without `#fragment`),
/// following the rules of Telegram's link parser: case-insensitive scheme and host, optional
/// `//` and `/` before the `?`.
fn tg_link_query<'u>(url: &'u str, host: &str) -> Option<&'u str> {
    let scheme = url.get(..3)?;
    if !scheme.eq_ignore_ascii_case("tg:") {
        return None;
    }
    let mut rest = &url[3..];
    if let Some(stripped) = rest.strip_prefix("//") {
        rest = stripped;
    }
    let found_host = rest.get(..host.len())?;
    if !found_host.eq_ignore_ascii_case(host) {
        return None;
    }
    rest = &rest[host.len()..];
    if !rest.is_empty() && !rest.starts_with(['/', '?', '#']) {
        return None;
    }
    rest = rest.strip_prefix('/').unwrap_or(rest);
    rest = rest.strip_prefix('?')?;
    Some(rest.split('#').next().unwrap_or(""))
}

fn query_value<'q>(query: &'q str, key: &str) -> Option<&'q str> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == key).then_some(v)
    })
}

/// Parses an integer the way Telegram's `to_integer_safe` does: the decimal form must be
/// canonical (optional `-`, no `+`, no leading zeros, no overflow).
fn strict_i64(s: &str) -> Option<i64> {
    s.parse::<i64>().ok().filter(|n| n.to_string() == s)
}

/// The user of a `tg://user?id=…` link.
fn link_user_id(url: &str) -> Option<i64> {
    let url = url.to_ascii_lowercase();
    tg_link_query(&url, "user")
        .and_then(|query| query_value(query, "id"))
        .and_then(strict_i64)
        .filter(|&id| id > 0)
}

/// The custom emoji of a `tg://emoji?id=…` link, in canonical decimal form.
fn link_custom_emoji_id(url: &str) -> Option<String> {
    tg_link_query(url, "emoji")
        .and_then(|query| query_value(query, "id"))
        .and_then(strict_i64)
        .filter(|&id| id != 0)
        .map(|id| id.to_string())
}

/// Whether a URL is a valid `tg://time?unix=…` link (a `date_time` entity).
fn is_time_link(url: &str) -> bool {
    tg_link_query(url, "time")
        .and_then(|query| query_value(query, "unix"))
        .and_then(strict_i64)
        .is_some_and(|unix| unix > 0 && unix <= i64::from(i32::MAX))
}

/// A link found in markup: a `text_mention` for `tg://user?id=…`, a `text_link` otherwise, or
/// nothing for an empty URL.
fn link_kind(url: String) -> Option<FoundKind> {
    if let Some(user_id) = link_user_id(&url) {
        Some(FoundKind::TextMention(user_id))
    } else if url.is_empty() {
        None
    } else {
        Some(FoundKind::TextLink(url))
    }
}

// ----- MarkdownV2 ----------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MdKind {
    Bold,
    Italic,
    Underline,
    Strikethrough,
    Spoiler,
    Code,
    Pre,
    TextUrl,
    CustomEmoji,
    Blockquote,
}

struct MdOpen {
    kind: MdKind,
    language: Option<String>,
    /// Where the entity starts in the output text.
    start: usize,
    /// Where its opening marker is in the markup.
    markup_offset: usize,
}

impl MdOpen {
    fn telegram_name(&self) -> &'static str {
        match self.kind {
            MdKind::Bold => "Bold",
            MdKind::Italic => "Italic",
            MdKind::Underline => "Underline",
            MdKind::Strikethrough => "Strikethrough",
            MdKind::Spoiler => "Spoiler",
            MdKind::Code => "Code",
            MdKind::Pre if self.language.is_some() => "PreCode",
            MdKind::Pre => "Pre",
            MdKind::TextUrl => "TextUrl",
            MdKind::CustomEmoji => "CustomEmoji",
            MdKind::Blockquote => "BlockQuote",
        }
    }

    fn unclosed(&self) -> MarkupError {
        MarkupError::UnclosedEntity {
            entity: self.telegram_name(),
            byte_offset: self.markup_offset,
        }
    }
}

fn is_markdown_v2_reserved(b: u8) -> bool {
    b == b'\n' || MARKDOWN_V2_SPECIALS.contains(&b)
}

/// Reads a link target starting at `i` (just after `(`), with `\` escapes; returns the target
/// and the index just after the closing `)`.
fn read_markdown_target(markup: &str, mut i: usize) -> Result<(String, usize), MarkupError> {
    let bytes = markup.as_bytes();
    let begin = i;
    let mut url = String::new();
    let mut run = i;
    while i < bytes.len() && bytes[i] != b')' {
        if bytes[i] == b'\\' && bytes.get(i + 1).is_some_and(|&b| (1..=126).contains(&b)) {
            url.push_str(&markup[run..i]);
            url.push(char::from(bytes[i + 1]));
            i += 2;
            run = i;
        } else {
            i += 1;
        }
    }
    if i >= bytes.len() {
        return Err(MarkupError::UnclosedUrl { byte_offset: begin });
    }
    url.push_str(&markup[run..i]);
    Ok((url, i + 1))
}

/// Parses a `MarkdownV2` string the way the Bot API server does, returning the plain text and
/// its entities (UTF-16 offsets, canonical order as in [`normalize_entities`]).
///
/// Covers `*bold*`, `_italic_`, `__underline__`, `~strikethrough~`, `||spoiler||`,
/// `[text](url)` (a `tg://user?id=…` target gives a `text_mention`; `[text]` alone links to
/// its text), `![👍](tg://emoji?id=…)`, `` `code` ``, ```` ```language ```` blocks, `>`
/// blockquotes and `**>` … `||` expandable blockquotes, and `\` escapes of any ASCII character.
/// Empty entities are dropped. Link targets are not checked beyond being non-empty, and a
/// `![…](tg://time?…)` date is accepted but yields no entity (the [`Entity`] type has no room
/// for its fields).
///
/// # Errors
///
/// A [`MarkupError`] for an unescaped reserved character, an entity or link target that is not
/// closed, or an invalid custom emoji link, with Telegram's message.
///
/// ```
/// use botwire_core::telegram::entities::parse_markdown_v2;
/// // `*` cannot close bold while italic, opened inside it, is still open.
/// assert!(parse_markdown_v2("*bold _italic* text_").is_err());
///
/// let (text, entities) = parse_markdown_v2("*1\\.* [link](https://t.me/\\)x)")?;
/// assert_eq!(text, "1. link");
/// assert_eq!(entities[0].kind, "bold");
/// assert_eq!(entities[1].url.as_deref(), Some("https://t.me/)x"));
/// # Ok::<(), botwire_core::telegram::entities::MarkupError>(())
/// ```
pub fn parse_markdown_v2(markup: &str) -> Result<(String, Vec<Entity>), MarkupError> {
    let bytes = markup.as_bytes();
    let len = bytes.len();
    let at = |i: usize| bytes.get(i).copied().unwrap_or(0);
    let mut out = String::with_capacity(len);
    let mut found: Vec<Found> = Vec::new();
    let mut stack: Vec<MdOpen> = Vec::new();
    let mut have_quote = false;
    let mut can_start_quote = true;
    let mut i = 0;
    while i < len {
        let c = bytes[i];
        if c == b'\\' && (1..=126).contains(&at(i + 1)) {
            let escaped = at(i + 1);
            out.push(char::from(escaped));
            if escaped != b'\r' {
                can_start_quote = escaped == b'\n';
            }
            i += 2;
            continue;
        }
        let verbatim = stack
            .last()
            .is_some_and(|top| matches!(top.kind, MdKind::Code | MdKind::Pre));
        let reserved = |b: u8| {
            if verbatim {
                b == b'`'
            } else {
                is_markdown_v2_reserved(b)
            }
        };
        if !reserved(c) {
            let run_start = i;
            i += 1;
            while i < len && bytes[i] != b'\\' && !reserved(bytes[i]) {
                i += 1;
            }
            let run = &markup[run_start..i];
            out.push_str(run);
            if run.bytes().any(|b| b != b'\r') {
                can_start_quote = false;
            }
            continue;
        }

        let next = at(i + 1);
        let is_end = match stack.last() {
            None => false,
            Some(_) if have_quote && c == b'\n' && next != b'>' => true,
            Some(top) => match top.kind {
                MdKind::Bold => c == b'*',
                MdKind::Italic => c == b'_' && next != b'_',
                MdKind::Code => c == b'`',
                MdKind::Pre => c == b'`' && next == b'`' && at(i + 2) == b'`',
                MdKind::TextUrl | MdKind::CustomEmoji => c == b']',
                MdKind::Underline => c == b'_' && next == b'_',
                MdKind::Strikethrough => c == b'~',
                MdKind::Spoiler => c == b'|' && next == b'|',
                MdKind::Blockquote => false,
            },
        };

        if !is_end {
            let markup_offset = i;
            let reserved_error = MarkupError::ReservedCharacter {
                character: char::from(c),
                byte_offset: i,
            };
            let kind = match c {
                b'_' if next == b'_' => {
                    i += 1;
                    MdKind::Underline
                }
                b'_' => MdKind::Italic,
                b'*' => MdKind::Bold,
                b'~' => MdKind::Strikethrough,
                b'|' if next == b'|' => {
                    i += 1;
                    MdKind::Spoiler
                }
                b'[' => MdKind::TextUrl,
                b'`' if next == b'`' && at(i + 2) == b'`' => {
                    i += 3;
                    let language_start = i;
                    let mut language_end = i;
                    while language_end < len
                        && !is_td_space(bytes[language_end])
                        && bytes[language_end] != b'`'
                    {
                        language_end += 1;
                    }
                    let mut language = None;
                    if language_end != language_start
                        && language_end < len
                        && bytes[language_end] != b'`'
                    {
                        language = Some(markup[language_start..language_end].to_owned());
                        i = language_end;
                    }
                    // One line break after the opening (and language) is skipped.
                    if matches!(at(i), b'\n' | b'\r') {
                        if matches!(at(i + 1), b'\n' | b'\r') && at(i) != at(i + 1) {
                            i += 2;
                        } else {
                            i += 1;
                        }
                    }
                    stack.push(MdOpen {
                        kind: MdKind::Pre,
                        language,
                        start: out.len(),
                        markup_offset,
                    });
                    continue;
                }
                b'`' => MdKind::Code,
                b'!' if next == b'[' => {
                    i += 1;
                    MdKind::CustomEmoji
                }
                b'\n' => {
                    out.push('\n');
                    can_start_quote = true;
                    i += 1;
                    continue;
                }
                b'>' if can_start_quote && have_quote => {
                    i += 1; // a continuation line of the open blockquote
                    continue;
                }
                b'>' if can_start_quote => {
                    have_quote = true;
                    MdKind::Blockquote
                }
                _ => return Err(reserved_error),
            };
            stack.push(MdOpen {
                kind,
                language: None,
                start: out.len(),
                markup_offset,
            });
            i += 1;
            continue;
        }

        // End of the innermost entity.
        let Some(mut top) = stack.pop() else {
            break; // unreachable: `is_end` needs an open entity
        };
        let mut expandable = false;
        if c == b'\n' && top.kind != MdKind::Blockquote {
            // The line break ends the blockquote; only a `||` right before it may be open,
            // and it marks the blockquote as expandable.
            let mark_just_opened = top.kind == MdKind::Spoiler
                && (top.markup_offset + 2 == i
                    || (top.markup_offset + 3 == i && out.ends_with('\r')));
            if !mark_just_opened {
                return Err(top.unclosed());
            }
            top = match stack.pop() {
                Some(quote) if quote.kind == MdKind::Blockquote => quote,
                Some(other) => return Err(other.unclosed()),
                None => return Err(top.unclosed()),
            };
            expandable = true;
        }
        let kind = match top.kind {
            MdKind::Bold => {
                i += 1;
                Some(FoundKind::Bold)
            }
            MdKind::Italic => {
                i += 1;
                Some(FoundKind::Italic)
            }
            MdKind::Strikethrough => {
                i += 1;
                Some(FoundKind::Strikethrough)
            }
            MdKind::Code => {
                i += 1;
                Some(FoundKind::Code(None))
            }
            MdKind::Underline => {
                i += 2;
                Some(FoundKind::Underline)
            }
            MdKind::Spoiler => {
                i += 2;
                Some(FoundKind::Spoiler)
            }
            MdKind::Pre => {
                i += 3;
                Some(FoundKind::Pre(top.language.take()))
            }
            MdKind::TextUrl => {
                let url = if next == b'(' {
                    let (url, after) = read_markdown_target(markup, i + 2)?;
                    i = after;
                    url
                } else {
                    i += 1;
                    out[top.start..].to_owned()
                };
                link_kind(url)
            }
            MdKind::CustomEmoji => {
                if next != b'(' {
                    return Err(MarkupError::MissingEmojiUrl {
                        byte_offset: top.markup_offset,
                    });
                }
                let (url, after) = read_markdown_target(markup, i + 2)?;
                i = after;
                if let Some(id) = link_custom_emoji_id(&url) {
                    Some(FoundKind::CustomEmoji(id))
                } else if is_time_link(&url) {
                    None
                } else {
                    return Err(MarkupError::InvalidEmojiUrl {
                        byte_offset: top.markup_offset,
                    });
                }
            }
            MdKind::Blockquote => {
                out.push('\n');
                can_start_quote = true;
                have_quote = false;
                i += 1;
                Some(FoundKind::Blockquote { expandable })
            }
        };
        // A blockquote always holds at least the line break that ends it.
        if let Some(kind) = kind.filter(|_| out.len() > top.start) {
            found.push(Found {
                start: top.start,
                end: out.len(),
                kind,
            });
        }
    }
    if have_quote {
        let mut expandable = false;
        if stack
            .last()
            .is_some_and(|top| top.kind == MdKind::Spoiler && top.markup_offset + 2 == len)
        {
            stack.pop();
            expandable = true;
        }
        if stack
            .last()
            .is_some_and(|top| top.kind == MdKind::Blockquote)
        {
            if let Some(quote) = stack.pop().filter(|quote| out.len() > quote.start) {
                found.push(Found {
                    start: quote.start,
                    end: out.len(),
                    kind: FoundKind::Blockquote { expandable },
                });
            }
        }
    }
    if let Some(top) = stack.last() {
        return Err(top.unclosed());
    }
    Ok(finish(out, &found))
}

// ----- HTML ----------------------------------------------------------------------------------

const HTML_TAGS: &[&str] = &[
    "a",
    "b",
    "strong",
    "i",
    "em",
    "s",
    "strike",
    "del",
    "u",
    "ins",
    "tg-spoiler",
    "tg-emoji",
    "tg-time",
    "span",
    "pre",
    "code",
    "blockquote",
];

/// Decodes the character reference at `pos` (a `&`): `&lt;`, `&gt;`, `&amp;`, `&quot;`,
/// `&#123;` or `&#x1F4A1;`, the `;` being optional. Returns the code point and the index after
/// the reference, or `None` when this `&` is literal text.
fn decode_html_reference(bytes: &[u8], pos: usize) -> Option<(u32, usize)> {
    let at = |i: usize| bytes.get(i).copied().unwrap_or(0);
    let mut end = pos + 1;
    let code = if at(end) == b'#' {
        end += 1;
        let mut code: u32 = 0;
        if at(end) == b'x' {
            end += 1;
            while let Some(digit) = char::from(at(end)).to_digit(16) {
                code = code.saturating_mul(16).saturating_add(digit);
                end += 1;
            }
        } else {
            while let Some(digit) = char::from(at(end)).to_digit(10) {
                code = code.saturating_mul(10).saturating_add(digit);
                end += 1;
            }
        }
        if code == 0 || code >= 0x10ffff || end - pos >= 10 {
            return None;
        }
        code
    } else {
        while at(end).is_ascii_alphabetic() {
            end += 1;
        }
        match &bytes[pos + 1..end] {
            b"lt" => u32::from('<'),
            b"gt" => u32::from('>'),
            b"amp" => u32::from('&'),
            b"quot" => u32::from('"'),
            _ => return None,
        }
    };
    if at(end) == b';' {
        end += 1;
    }
    Some((code, end))
}

struct HtmlOpen {
    tag: String,
    argument: String,
    expandable: bool,
    start: usize,
}

/// Parses an `HTML` string the way the Bot API server does, returning the plain text and its
/// entities (UTF-16 offsets, canonical order as in [`normalize_entities`]).
///
/// Tags: `b`/`strong`, `i`/`em`, `u`/`ins`, `s`/`strike`/`del`, `tg-spoiler` and
/// `span class="tg-spoiler"`, `a href` (`tg://user?id=…` gives a `text_mention`; without
/// `href` the link goes to its text), `tg-emoji emoji-id`, `code`, `pre`, `pre` with
/// `code class="language-…"`, `blockquote` and `blockquote expandable`; `tg-time` is accepted
/// but yields no entity. Tag names are case-insensitive, `</>` closes the innermost tag,
/// attribute values may be quoted (with character references) or bare name tokens. Only
/// `&lt;`, `&gt;`, `&amp;`, `&quot;` and numeric references are decoded; any other `&` is
/// text. Empty entities are dropped; entities inside `code`/`pre` are dropped as Telegram does.
///
/// # Errors
///
/// A [`MarkupError`] for an unsupported, unclosed or unmatched tag, a malformed attribute, a
/// `span` without the spoiler class, an invalid custom emoji id or a reference to half of a
/// surrogate pair, with Telegram's message.
///
/// ```
/// use botwire_core::telegram::entities::{parse_html, MarkupError};
/// let (text, entities) = parse_html("<b>1 &lt; 2</b> <a href='tg://user?id=42'>you</a>")?;
/// assert_eq!(text, "1 < 2 you");
/// assert_eq!(entities[1].kind, "text_mention");
/// assert_eq!(entities[1].user_id, Some(42));
/// assert_eq!(
///     parse_html("<p>hi</p>").unwrap_err(),
///     MarkupError::UnsupportedStartTag { tag: "p".into(), byte_offset: 0 }
/// );
/// # Ok::<(), MarkupError>(())
/// ```
pub fn parse_html(markup: &str) -> Result<(String, Vec<Entity>), MarkupError> {
    let bytes = markup.as_bytes();
    let len = bytes.len();
    let at = |i: usize| bytes.get(i).copied().unwrap_or(0);
    let mut out = String::with_capacity(len);
    let mut found: Vec<Found> = Vec::new();
    let mut stack: Vec<HtmlOpen> = Vec::new();
    let mut i = 0;
    while i < len {
        let c = bytes[i];
        if c == b'&' {
            if let Some((code, after)) = decode_html_reference(bytes, i) {
                let Some(decoded) = char::from_u32(code) else {
                    return Err(MarkupError::InvalidSurrogate { byte_offset: i });
                };
                out.push(decoded);
                i = after;
                continue;
            }
        }
        if c != b'<' {
            let run_start = i;
            i += 1;
            while i < len && bytes[i] != b'&' && bytes[i] != b'<' {
                i += 1;
            }
            out.push_str(&markup[run_start..i]);
            continue;
        }

        let begin = i;
        i += 1;
        if at(i) != b'/' {
            // A start tag.
            let name_start = i;
            while !is_td_space(at(i)) && at(i) != b'>' {
                i += 1;
            }
            if at(i) == 0 {
                return Err(MarkupError::UnclosedStartTag {
                    tag: None,
                    byte_offset: begin,
                });
            }
            let tag = markup[name_start..i].to_ascii_lowercase();
            if !HTML_TAGS.contains(&tag.as_str()) {
                return Err(MarkupError::UnsupportedStartTag {
                    tag,
                    byte_offset: begin,
                });
            }
            let mut argument = String::new();
            let mut expandable = false;
            while at(i) != b'>' {
                while at(i) != 0 && is_td_space(at(i)) {
                    i += 1;
                }
                if at(i) == b'>' {
                    break;
                }
                let attribute_start = i;
                while !is_td_space(at(i)) && !matches!(at(i), b'=' | b'>' | b'/' | b'"' | b'\'') {
                    i += 1;
                }
                let attribute = &markup[attribute_start..i];
                if attribute.is_empty() {
                    return Err(MarkupError::EmptyAttributeName {
                        tag,
                        byte_offset: begin,
                    });
                }
                while at(i) != 0 && is_td_space(at(i)) {
                    i += 1;
                }
                if at(i) != b'=' {
                    if at(i) == 0 {
                        return Err(MarkupError::UnclosedStartTag {
                            tag: Some(tag),
                            byte_offset: begin,
                        });
                    }
                    if tag == "blockquote" && attribute == "expandable" {
                        expandable = true;
                    }
                    continue;
                }
                i += 1;
                while at(i) != 0 && is_td_space(at(i)) {
                    i += 1;
                }
                if at(i) == 0 {
                    return Err(MarkupError::UnclosedStartTag {
                        tag: Some(tag),
                        byte_offset: begin,
                    });
                }
                let value = if at(i) != b'\'' && at(i) != b'"' {
                    // A name token: letters, digits, periods and hyphens, case-insensitive.
                    let token_start = i;
                    while at(i).is_ascii_alphanumeric() || at(i) == b'.' || at(i) == b'-' {
                        i += 1;
                    }
                    if !is_td_space(at(i)) && at(i) != b'>' {
                        return Err(MarkupError::UnexpectedEndOfNameToken {
                            byte_offset: token_start,
                        });
                    }
                    markup[token_start..i].to_ascii_lowercase()
                } else {
                    // A string literal, with character references.
                    let quote = at(i);
                    i += 1;
                    let mut value = String::new();
                    let mut run = i;
                    while at(i) != quote && at(i) != 0 {
                        if at(i) == b'&' {
                            if let Some((code, after)) = decode_html_reference(bytes, i) {
                                value.push_str(&markup[run..i]);
                                value.push(
                                    char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER),
                                );
                                i = after;
                                run = i;
                                continue;
                            }
                        }
                        i += 1;
                    }
                    value.push_str(&markup[run..i]);
                    if at(i) == quote {
                        i += 1;
                    }
                    value
                };
                if at(i) == 0 {
                    return Err(MarkupError::UnclosedStartTag {
                        tag: None,
                        byte_offset: begin,
                    });
                }
                match (tag.as_str(), attribute) {
                    ("a", "href") | ("tg-emoji", "emoji-id") => argument = value,
                    ("code", "class") => {
                        if let Some(language) = value.strip_prefix("language-") {
                            argument = language.to_owned();
                        }
                    }
                    ("span", "class") => {
                        if let Some(class) = value.strip_prefix("tg-") {
                            argument = class.to_owned();
                        }
                    }
                    ("blockquote", "expandable") => expandable = true,
                    _ => {}
                }
            }
            if tag == "span" && argument != "spoiler" {
                return Err(MarkupError::SpanWithoutSpoilerClass { byte_offset: begin });
            }
            stack.push(HtmlOpen {
                tag,
                argument,
                expandable,
                start: out.len(),
            });
            i += 1;
            continue;
        }

        // An end tag.
        let Some(top) = stack.pop() else {
            return Err(MarkupError::UnexpectedEndTag { byte_offset: begin });
        };
        i += 1;
        let name_start = i;
        while !is_td_space(at(i)) && at(i) != b'>' {
            i += 1;
        }
        let end_tag = markup[name_start..i].to_ascii_lowercase();
        while at(i) != 0 && is_td_space(at(i)) {
            i += 1;
        }
        if at(i) != b'>' {
            return Err(MarkupError::UnclosedEndTag { byte_offset: begin });
        }
        if !end_tag.is_empty() && end_tag != top.tag {
            return Err(MarkupError::UnmatchedEndTag {
                byte_offset: begin,
                expected: top.tag,
                found: end_tag,
            });
        }
        i += 1;
        if out.len() == top.start {
            continue;
        }
        let (start, end) = (top.start, out.len());
        let same_span = |f: &Found| f.start == start && f.end == end;
        let kind = match top.tag.as_str() {
            "b" | "strong" => FoundKind::Bold,
            "i" | "em" => FoundKind::Italic,
            "u" | "ins" => FoundKind::Underline,
            "s" | "strike" | "del" => FoundKind::Strikethrough,
            "tg-spoiler" | "span" => FoundKind::Spoiler,
            "tg-emoji" => match strict_i64(&top.argument).filter(|&id| id != 0) {
                Some(id) => FoundKind::CustomEmoji(id.to_string()),
                None => return Err(MarkupError::InvalidCustomEmojiId { byte_offset: begin }),
            },
            "a" => {
                let url = if top.argument.is_empty() {
                    out[start..].to_owned()
                } else {
                    top.argument
                };
                match link_kind(url) {
                    Some(kind) => kind,
                    None => continue,
                }
            }
            "pre" => {
                // `<pre><code class="language-x">…</code></pre>` is one pre block.
                if let Some(last) = found.last_mut().filter(|f| same_span(f)) {
                    if let FoundKind::Code(language @ Some(_)) = &mut last.kind {
                        last.kind = FoundKind::Pre(language.take());
                        continue;
                    }
                }
                FoundKind::Pre(None)
            }
            "code" => {
                let language = Some(top.argument).filter(|l| !l.is_empty());
                if language.is_some() {
                    // `<code class="language-x"><pre>…</pre></code>` too.
                    if let Some(last) = found.last_mut().filter(|f| same_span(f)) {
                        if let FoundKind::Pre(pre_language) = &mut last.kind {
                            *pre_language = language;
                            continue;
                        }
                    }
                }
                FoundKind::Code(language)
            }
            "blockquote" => FoundKind::Blockquote {
                expandable: top.expandable,
            },
            _ => continue, // tg-time: a date_time entity, which Entity cannot carry
        };
        found.push(Found { start, end, kind });
    }
    if let Some(top) = stack.pop() {
        return Err(MarkupError::MissingEndTag { tag: top.tag });
    }
    Ok(finish(out, &found))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(kind: &str, offset: i64, length: i64) -> EntityRef<'_> {
        EntityRef::new(kind, offset, length)
    }

    fn link<'a>(offset: i64, length: i64, url: &'a str) -> EntityRef<'a> {
        EntityRef {
            url: Some(url),
            ..e("text_link", offset, length)
        }
    }

    fn pre<'a>(offset: i64, length: i64, language: &'a str) -> EntityRef<'a> {
        EntityRef {
            language: Some(language),
            ..e("pre", offset, length)
        }
    }

    fn mention(offset: i64, length: i64, user_id: i64) -> EntityRef<'static> {
        EntityRef {
            user_id: Some(user_id),
            ..e("text_mention", offset, length)
        }
    }

    fn emoji<'a>(offset: i64, length: i64, id: &'a str) -> EntityRef<'a> {
        EntityRef {
            custom_emoji_id: Some(id),
            ..e("custom_emoji", offset, length)
        }
    }

    fn spans(entities: &[Entity]) -> Vec<(&str, i64, i64)> {
        entities
            .iter()
            .map(|e| (e.kind.as_str(), e.offset, e.length))
            .collect()
    }

    // ----- UTF-16 ------------------------------------------------------------------------------

    #[test]
    fn section_7_worked_example() {
        let text = "💡 Tip: use /start";
        assert_eq!(utf16_len("💡"), 2);
        assert_eq!("💡".chars().count(), 1);
        assert_eq!("💡".len(), 4);
        let command = text.find("/start").unwrap();
        assert_eq!(command, 14);
        assert_eq!(text[..command].chars().count(), 11);
        assert_eq!(utf16_len(&text[..command]), 12);
        assert_eq!(utf16_to_byte_range(text, 12, 6), Some(14..20));
        assert_eq!(slice_utf16(text, 12, 6), Some("/start"));
        assert_eq!(utf16_len(text), 18);
    }

    #[test]
    fn utf16_ranges() {
        let text = "a😀b";
        assert_eq!(utf16_len(text), 4);
        assert_eq!(utf16_to_byte_range(text, 0, 0), Some(0..0));
        assert_eq!(utf16_to_byte_range(text, 0, 1), Some(0..1));
        assert_eq!(utf16_to_byte_range(text, 1, 2), Some(1..5));
        assert_eq!(utf16_to_byte_range(text, 1, 3), Some(1..6));
        assert_eq!(utf16_to_byte_range(text, 4, 0), Some(6..6));
        assert_eq!(utf16_to_byte_range(text, 1, 1), None, "end splits the pair");
        assert_eq!(
            utf16_to_byte_range(text, 2, 1),
            None,
            "start splits the pair"
        );
        assert_eq!(utf16_to_byte_range(text, 2, 0), None);
        assert_eq!(utf16_to_byte_range(text, 4, 1), None);
        assert_eq!(utf16_to_byte_range(text, 5, 0), None);
        assert_eq!(utf16_to_byte_range(text, -1, 2), None);
        assert_eq!(utf16_to_byte_range(text, 0, -1), None);
        assert_eq!(utf16_to_byte_range(text, i64::MAX, i64::MAX), None);
        assert_eq!(utf16_to_byte_range(text, 1, i64::MAX), None);
        assert_eq!(utf16_to_byte_range("", 0, 0), Some(0..0));
        assert_eq!(slice_utf16("Жé中😀", 1, 4), Some("é中😀"));
        assert_eq!(
            utf16_positions_to_bytes(text, &[0, 1, 2, 3, 4, 5]),
            [Some(0), Some(1), None, Some(5), Some(6), None]
        );
        assert_eq!(byte_positions_to_utf16(text, &[0, 1, 5, 6]), [0, 1, 3, 4]);
    }

    // ----- HTML --------------------------------------------------------------------------------

    #[test]
    fn html_tags() {
        let text = "b i u s sp code pre rust link me 👍 quote more";
        let entities = [
            e("bold", 0, 1),
            e("italic", 2, 1),
            e("underline", 4, 1),
            e("strikethrough", 6, 1),
            e("spoiler", 8, 2),
            e("code", 11, 4),
            e("pre", 16, 3),
            pre(20, 4, "rust"),
            link(25, 4, "https://t.me/x"),
            mention(30, 2, 42),
            emoji(33, 2, "5368324170671202286"),
            e("blockquote", 36, 5),
            e("expandable_blockquote", 42, 4),
        ];
        assert_eq!(
            to_html(text, &entities),
            "<b>b</b> <i>i</i> <u>u</u> <s>s</s> <tg-spoiler>sp</tg-spoiler> <code>code</code> \
             <pre>pre</pre> <pre><code class=\"language-rust\">rust</code></pre> \
             <a href=\"https://t.me/x\">link</a> <a href=\"tg://user?id=42\">me</a> \
             <tg-emoji emoji-id=\"5368324170671202286\">👍</tg-emoji> <blockquote>quote</blockquote> \
             <blockquote expandable>more</blockquote>"
        );
    }

    #[test]
    fn html_escapes_everywhere() {
        let text = "<&> \"q\" <code & pre>";
        let entities = [e("bold", 0, 3), e("code", 8, 12)];
        assert_eq!(
            to_html(text, &entities),
            "<b>&lt;&amp;&gt;</b> \"q\" <code>&lt;code &amp; pre&gt;</code>"
        );
        let entities = [
            link(0, 3, "https://e.com/?a=<1>&b=\"2\""),
            pre(4, 3, "c\"<&>"),
        ];
        assert_eq!(
            to_html(text, &entities),
            "<a href=\"https://e.com/?a=&lt;1&gt;&amp;b=&quot;2&quot;\">&lt;&amp;&gt;</a> \
             <pre><code class=\"language-c&quot;&lt;&amp;&gt;\">\"q\"</code></pre> &lt;code &amp; pre&gt;"
        );
    }

    #[test]
    fn astral_emoji_before_inside_and_after_entities() {
        let text = "😀 a😀b 😀";
        // 😀 is two units: "😀 " = 3, "a😀b" = 4 units starting at 3.
        let entities = [e("bold", 3, 4)];
        assert_eq!(to_html(text, &entities), "😀 <b>a😀b</b> 😀");
        assert_eq!(to_markdown_v2(text, &entities), "😀 *a😀b* 😀");
        assert_eq!(to_markdown_legacy(text, &entities), "😀 *a😀b* 😀");
        // An entity that is exactly an emoji, and one ending on the last emoji.
        let entities = [e("italic", 0, 2), e("underline", 8, 2)];
        assert_eq!(to_html(text, &entities), "<i>😀</i> a😀b <u>😀</u>");
        assert_eq!(to_markdown_v2(text, &entities), "_😀_ a😀b __😀__");
        let (plain, parsed) = parse_markdown_v2("_😀_ a😀b __😀__").unwrap();
        assert_eq!(plain, text);
        assert_eq!(spans(&parsed), [("italic", 0, 2), ("underline", 8, 2)]);
    }

    #[test]
    fn nested_bold_in_italic_in_link() {
        let text = "see the docs now";
        let entities = [
            link(4, 8, "https://core.telegram.org/bots/api"),
            e("italic", 4, 8),
            e("bold", 8, 4),
        ];
        let html = to_html(text, &entities);
        assert_eq!(
            html,
            "see <a href=\"https://core.telegram.org/bots/api\"><i>the <b>docs</b></i></a> now"
        );
        let md = to_markdown_v2(text, &entities);
        assert_eq!(
            md,
            "see [_the *docs*_](https://core.telegram.org/bots/api) now"
        );
        // Legacy Markdown keeps only the outermost entity.
        assert_eq!(
            to_markdown_legacy(text, &entities),
            "see [the docs](https://core.telegram.org/bots/api) now"
        );
        let expected = normalize_entities(text, &entities);
        assert_eq!(
            spans(&expected),
            [("text_link", 4, 8), ("italic", 4, 8), ("bold", 8, 4)]
        );
        assert_eq!(
            parse_html(&html).unwrap(),
            (text.to_owned(), expected.clone())
        );
        assert_eq!(parse_markdown_v2(&md).unwrap(), (text.to_owned(), expected));
    }

    #[test]
    fn adjacent_entities() {
        let text = "abcdef";
        let cases: &[(&[EntityRef<'_>], &str, &str)] = &[
            (
                &[e("bold", 0, 3), e("bold", 3, 3)],
                "<b>abc</b><b>def</b>",
                "*abc**def*",
            ),
            (
                &[e("italic", 0, 3), e("italic", 3, 3)],
                "<i>abc</i><i>def</i>",
                "_abc_**_def_",
            ),
            (
                &[e("underline", 0, 3), e("underline", 3, 3)],
                "<u>abc</u><u>def</u>",
                "__abc____def__",
            ),
            (
                &[e("italic", 0, 3), e("underline", 3, 3)],
                "<i>abc</i><u>def</u>",
                "_abc_**__def__",
            ),
            (
                &[e("underline", 0, 3), e("italic", 3, 3)],
                "<u>abc</u><i>def</i>",
                "__abc___def_",
            ),
            (
                &[e("spoiler", 0, 3), e("spoiler", 3, 3)],
                "<tg-spoiler>abc</tg-spoiler><tg-spoiler>def</tg-spoiler>",
                "||abc||||def||",
            ),
            (
                &[e("code", 0, 3), e("code", 3, 3)],
                "<code>abc</code><code>def</code>",
                "`abc``def`",
            ),
            (
                &[e("code", 0, 3), e("pre", 3, 3)],
                "<code>abc</code><pre>def</pre>",
                "`abc````\ndef```",
            ),
            (
                &[e("strikethrough", 0, 3), e("bold", 3, 3)],
                "<s>abc</s><b>def</b>",
                "~abc~*def*",
            ),
            (
                &[link(0, 3, "http://a.b"), link(3, 3, "http://c.d")],
                "<a href=\"http://a.b\">abc</a><a href=\"http://c.d\">def</a>",
                "[abc](http://a.b)[def](http://c.d)",
            ),
        ];
        for (entities, html, md) in cases {
            assert_eq!(to_html(text, entities), *html);
            assert_eq!(to_markdown_v2(text, entities), *md);
            let expected = normalize_entities(text, entities);
            assert_eq!(expected.len(), 2);
            assert_eq!(
                parse_html(html).unwrap(),
                (text.to_owned(), expected.clone()),
                "{html}"
            );
            assert_eq!(
                parse_markdown_v2(md).unwrap(),
                (text.to_owned(), expected),
                "{md}"
            );
        }
    }

    #[test]
    fn italic_directly_followed_by_the_end_of_underline() {
        // The example of the Bot API documentation.
        let text = "italic underline";
        let entities = [e("underline", 0, 16), e("italic", 0, 16)];
        let md = to_markdown_v2(text, &entities);
        assert_eq!(md, "___italic underline_**__");
        let (plain, parsed) = parse_markdown_v2(&md).unwrap();
        assert_eq!(plain, text);
        assert_eq!(spans(&parsed), [("underline", 0, 16), ("italic", 0, 16)]);
        // Inside bold an empty bold would close the bold: an empty strikethrough is used.
        let entities = [e("bold", 0, 16), e("italic", 0, 6), e("underline", 6, 10)];
        let md = to_markdown_v2(text, &entities);
        assert_eq!(md, "*_italic_~~__ underline__*");
        let (_, parsed) = parse_markdown_v2(&md).unwrap();
        assert_eq!(
            spans(&parsed),
            [("bold", 0, 16), ("italic", 0, 6), ("underline", 6, 10)]
        );
        // And the closing side, inside bold.
        let entities = [e("bold", 0, 16), e("underline", 0, 16), e("italic", 7, 9)];
        let md = to_markdown_v2(text, &entities);
        assert_eq!(md, "*__italic _underline_~~__*");
        assert_eq!(
            spans(&parse_markdown_v2(&md).unwrap().1),
            [("bold", 0, 16), ("underline", 0, 16), ("italic", 7, 9)]
        );
        // Italic opening right before underline opening.
        let entities = [e("italic", 0, 16), e("underline", 0, 6)];
        let md = to_markdown_v2(text, &entities);
        assert_eq!(md, "_**__italic__ underline_");
        assert_eq!(
            spans(&parse_markdown_v2(&md).unwrap().1),
            [("italic", 0, 16), ("underline", 0, 6)]
        );
    }

    // ----- Escaping ----------------------------------------------------------------------------

    const ALL_SPECIALS: &str = "_*[]()~`>#+-=|{}.!\\";

    #[test]
    fn markdown_v2_escapes_every_special_character() {
        assert_eq!(ALL_SPECIALS.len(), 19);
        let escaped: String = ALL_SPECIALS.chars().flat_map(|c| ['\\', c]).collect();
        assert_eq!(to_markdown_v2(ALL_SPECIALS, &[]), escaped);
        // Inside entities too.
        for kind in ["bold", "italic", "underline", "strikethrough", "spoiler"] {
            let md = to_markdown_v2(ALL_SPECIALS, &[e(kind, 0, 19)]);
            assert!(md.contains(&escaped), "{kind}: {md}");
            let (text, parsed) = parse_markdown_v2(&md).unwrap();
            assert_eq!(text, ALL_SPECIALS);
            assert_eq!(spans(&parsed), [(kind, 0, 19)]);
        }
        // Link text is escaped normally, the target only for `)` and `\`.
        let url = "https://e.com/_*[](x)~`>#+-=|{}.!\\";
        let md = to_markdown_v2(ALL_SPECIALS, &[link(0, 19, url)]);
        assert_eq!(
            md,
            format!("[{escaped}](https://e.com/_*[](x\\)~`>#+-=|{{}}.!\\\\)")
        );
        let (text, parsed) = parse_markdown_v2(&md).unwrap();
        assert_eq!(text, ALL_SPECIALS);
        assert_eq!(parsed[0].url.as_deref(), Some(url));
        // Non-special characters are never escaped.
        assert_eq!(
            to_markdown_v2("a b\tc\nd é 😀 \" ' & < , ; : ? / @ $ % ^", &[]),
            "a b\tc\nd é 😀 \" ' & < , ; : ? / @ $ % ^"
        );
        for c in ALL_SPECIALS.chars() {
            let (text, _) = parse_markdown_v2(&to_markdown_v2(&c.to_string(), &[])).unwrap();
            assert_eq!(text, c.to_string());
        }
    }

    #[test]
    fn code_and_pre_escape_only_backtick_and_backslash() {
        let text = "a_*`\\b";
        let md = to_markdown_v2(text, &[e("code", 0, 6)]);
        assert_eq!(md, "`a_*\\`\\\\b`");
        assert_eq!(spans(&parse_markdown_v2(&md).unwrap().1), [("code", 0, 6)]);
        let md = to_markdown_v2(text, &[pre(0, 6, "py")]);
        assert_eq!(md, "```py\na_*\\`\\\\b```");
        let (plain, parsed) = parse_markdown_v2(&md).unwrap();
        assert_eq!(plain, text);
        assert_eq!(parsed[0].language.as_deref(), Some("py"));
        assert_eq!(to_html(text, &[e("code", 0, 6)]), "<code>a_*`\\b</code>");
        // Pre content starting with a line break keeps it; one starting with \r too.
        for content in ["\nx", "\n\ny", "\rz", "\r\nw", "`"] {
            for language in [None, Some("rust")] {
                let entity = EntityRef {
                    language,
                    ..e("pre", 0, utf16_len(content) as i64)
                };
                let md = to_markdown_v2(content, &[entity]);
                let (plain, parsed) = parse_markdown_v2(&md).unwrap();
                assert_eq!(plain, content, "{md:?}");
                assert_eq!(parsed, normalize_entities(content, &[entity]), "{md:?}");
            }
        }
        // A language that MarkdownV2 cannot carry is dropped.
        assert_eq!(to_markdown_v2("x", &[pre(0, 1, "a b")]), "```\nx```");
        assert_eq!(to_markdown_v2("x", &[pre(0, 1, "a`b")]), "```\nx```");
    }

    #[test]
    fn html_escapes_every_special_character() {
        let text = "&<>\"'";
        assert_eq!(to_html(text, &[]), "&amp;&lt;&gt;\"'");
        assert_eq!(to_html(text, &[e("bold", 0, 5)]), "<b>&amp;&lt;&gt;\"'</b>");
        assert_eq!(
            to_html(text, &[link(0, 5, "&<>\"'")]),
            "<a href=\"&amp;&lt;&gt;&quot;'\">&amp;&lt;&gt;\"'</a>"
        );
        let (plain, parsed) = parse_html(&to_html(text, &[link(0, 5, "&<>\"'")])).unwrap();
        assert_eq!(plain, text);
        assert_eq!(parsed[0].url.as_deref(), Some("&<>\"'"));
    }

    // ----- Normalisation -----------------------------------------------------------------------

    #[test]
    fn invalid_entities_are_skipped_without_panic() {
        let text = "a😀b";
        let entities = [
            e("bold", -1, 2),
            e("bold", 0, 0),
            e("bold", 0, -3),
            e("bold", 2, 1), // starts inside the surrogate pair
            e("bold", 0, 2), // ends inside it
            e("bold", 3, 5), // beyond the end
            e("bold", i64::MAX, 1),
            e("bold", 1, i64::MAX),
            e("bold", i64::MIN, i64::MIN),
            e("text_link", 0, 1), // no url
            link(0, 1, ""),
            e("text_mention", 0, 1), // no user
            e("custom_emoji", 1, 2), // no id
            e("mention", 0, 4),
            e("hashtag", 0, 4),
            e("bot_command", 0, 1),
            e("url", 0, 4),
            e("date_time", 0, 4),
            e("something_new", 0, 4),
        ];
        assert_eq!(to_html(text, &entities), "a😀b");
        assert_eq!(to_markdown_v2(text, &entities), "a😀b");
        assert_eq!(to_markdown_legacy(text, &entities), "a😀b");
        assert!(normalize_entities(text, &entities).is_empty());
        assert_eq!(to_html("", &entities), "");
    }

    #[test]
    fn partial_overlaps_are_cut_and_forbidden_nesting_dropped() {
        let text = "0123456789";
        // bold 2..8 overlaps italic 0..5: cut to 2..5; code contains nothing; no quote in a quote.
        let entities = [
            e("italic", 0, 5),
            e("bold", 2, 6),
            e("code", 6, 4),
            e("underline", 7, 2),
            e("italic", 1, 2),
        ];
        let normal = normalize_entities(text, &entities);
        assert_eq!(
            spans(&normal),
            [("italic", 0, 5), ("bold", 2, 3), ("code", 6, 4)]
        );
        assert_eq!(
            to_html(text, &entities),
            "<i>01<b>234</b></i>5<code>6789</code>"
        );
        let entities = [
            e("blockquote", 0, 10),
            e("expandable_blockquote", 2, 2),
            link(0, 5, "http://x"),
            emoji(1, 1, "5"),
        ];
        assert_eq!(
            spans(&normalize_entities(text, &entities)),
            [("blockquote", 0, 10), ("text_link", 0, 5)]
        );
    }

    // ----- Blockquotes in MarkdownV2 -----------------------------------------------------------

    #[test]
    fn markdown_v2_blockquotes() {
        let text = "intro\nline one\nline two\noutro";
        let quote = e("blockquote", 6, 18); // "line one\nline two" + the line break
        let md = to_markdown_v2(text, &[quote]);
        assert_eq!(md, "intro\n>line one\n>line two\noutro");
        let (plain, parsed) = parse_markdown_v2(&md).unwrap();
        assert_eq!(plain, text);
        assert_eq!(spans(&parsed), [("blockquote", 6, 18)]);
        // Without the line break it comes back with it, like Telegram's parser gives it.
        assert_eq!(to_markdown_v2(text, &[e("blockquote", 6, 17)]), md);
        // Expandable.
        let md = to_markdown_v2(text, &[e("expandable_blockquote", 6, 18)]);
        assert_eq!(md, "intro\n**>line one\n>line two||\noutro");
        assert_eq!(
            spans(&parse_markdown_v2(&md).unwrap().1),
            [("expandable_blockquote", 6, 18)]
        );
        // At the end of the text.
        let md = to_markdown_v2(text, &[e("expandable_blockquote", 24, 5)]);
        assert_eq!(md, "intro\nline one\nline two\n**>outro||");
        assert_eq!(
            spans(&parse_markdown_v2(&md).unwrap().1),
            [("expandable_blockquote", 24, 5)]
        );
        // Two quotes in a row need a separator.
        let entities = [e("blockquote", 6, 9), e("blockquote", 15, 9)];
        let md = to_markdown_v2(text, &entities);
        assert_eq!(md, "intro\n>line one\n**>line two\noutro");
        assert_eq!(
            spans(&parse_markdown_v2(&md).unwrap().1),
            [("blockquote", 6, 9), ("blockquote", 15, 9)]
        );
        // Not on line boundaries: written without the quote.
        assert_eq!(
            to_markdown_v2(text, &[e("blockquote", 7, 3)]),
            "intro\nline one\nline two\noutro"
        );
        // Entities inside, across lines, and an entity around the quote that goes on after it.
        let entities = [
            e("bold", 0, 29),
            e("blockquote", 6, 18),
            e("italic", 11, 8),
            e("code", 20, 3),
        ];
        let md = to_markdown_v2(text, &entities);
        assert_eq!(md, "*intro\n>line _one\n>line_ `two`\noutro*");
        let (plain, parsed) = parse_markdown_v2(&md).unwrap();
        assert_eq!(plain, text);
        assert_eq!(parsed, normalize_entities(text, &entities));
        // An entity ending with the quote cannot be written around it: it is cut.
        let entities = [e("bold", 0, 23), e("blockquote", 6, 17)];
        assert_eq!(
            to_markdown_v2(text, &entities),
            "*intro\n*>line one\n>line two\noutro"
        );
        // Code inside a quote keeps its line breaks without `>`.
        let entities = [e("blockquote", 0, 24), e("code", 3, 8)];
        let md = to_markdown_v2(text, &entities);
        assert_eq!(md, ">int`ro\nline `one\n>line two\noutro");
        assert_eq!(
            spans(&parse_markdown_v2(&md).unwrap().1),
            [("blockquote", 0, 24), ("code", 3, 8)]
        );
        let entities = [e("blockquote", 0, 14), e("code", 6, 8)];
        let md = to_markdown_v2(text, &entities);
        assert_eq!(md, ">intro\n>`line one`\nline two\noutro");
        assert_eq!(
            spans(&parse_markdown_v2(&md).unwrap().1),
            [("blockquote", 0, 15), ("code", 6, 8)]
        );
        // A quote right after code that ends with a line break: that line break is escaped,
        // since inside code an unescaped one does not start a line for `>`.
        let entities = [e("code", 0, 6), e("blockquote", 6, 9)];
        let md = to_markdown_v2(text, &entities);
        assert_eq!(md, "`intro\\\n`>line one\nline two\noutro");
        assert_eq!(
            spans(&parse_markdown_v2(&md).unwrap().1),
            [("code", 0, 6), ("blockquote", 6, 9)]
        );
        let entities = [e("blockquote", 0, 24), e("pre", 6, 17)];
        let md = to_markdown_v2(text, &entities);
        assert_eq!(md, ">intro\n>```\nline one\nline two```\noutro");
        assert_eq!(
            parse_markdown_v2(&md).unwrap().1,
            normalize_entities(text, &entities)
        );
        // An entity starting on the line break after a quote moves past it.
        let entities = [e("blockquote", 0, 5), e("bold", 5, 9)];
        assert_eq!(
            to_markdown_v2(text, &entities),
            ">intro\n*line one*\nline two\noutro"
        );
    }

    // ----- Legacy Markdown ---------------------------------------------------------------------

    #[test]
    fn legacy_markdown() {
        let text = "a_b *c* [d] `e`";
        assert_eq!(to_markdown_legacy(text, &[]), "a\\_b \\*c\\* \\[d] \\`e\\`");
        let entities = [
            e("bold", 0, 3),
            e("italic", 4, 3),
            link(8, 3, "http://x.y/(1)"),
            e("code", 12, 3),
        ];
        assert_eq!(
            to_markdown_legacy(text, &entities),
            // Inside link text only `]` would end it: `[` is plain there.
            "*a_b* _*c*_ [[d](http://x.y/(1%29)] \\``e`\\`"
        );
        let entities = [pre(0, 3, "go"), mention(4, 3, 7)];
        assert_eq!(
            to_markdown_legacy(text, &entities),
            "```go\na_b``` [*c*](tg://user?id=7) \\[d] \\`e\\`"
        );
        // Underline, strikethrough, spoiler, blockquote and custom emoji do not exist: plain text,
        // and nested entities are flattened to the outermost one.
        let entities = [
            e("underline", 0, 15),
            e("bold", 0, 3),
            e("spoiler", 4, 3),
            e("italic", 5, 1),
        ];
        assert_eq!(
            to_markdown_legacy(text, &entities),
            "*a_b* \\*_c_\\* \\[d] \\`e\\`"
        );
    }

    // ----- Parsers -----------------------------------------------------------------------------

    fn md_err(markup: &str) -> String {
        parse_markdown_v2(markup).unwrap_err().to_string()
    }

    fn html_err(markup: &str) -> String {
        parse_html(markup).unwrap_err().to_string()
    }

    fn md_ok(markup: &str) -> (String, Vec<(&'static str, i64, i64)>) {
        let (text, entities) =
            parse_markdown_v2(markup).unwrap_or_else(|e| panic!("{markup:?}: {e}"));
        let spans = entities
            .iter()
            .map(|e| {
                let kind: &'static str = match e.kind.as_str() {
                    "bold" => "bold",
                    "italic" => "italic",
                    "underline" => "underline",
                    "strikethrough" => "strikethrough",
                    "spoiler" => "spoiler",
                    "code" => "code",
                    "pre" => "pre",
                    "text_link" => "text_link",
                    "text_mention" => "text_mention",
                    "custom_emoji" => "custom_emoji",
                    "blockquote" => "blockquote",
                    "expandable_blockquote" => "expandable_blockquote",
                    other => panic!("unexpected kind {other}"),
                };
                (kind, e.offset, e.length)
            })
            .collect();
        (text, spans)
    }

    #[test]
    fn markdown_v2_reserved_characters() {
        for c in "]()#+-={}.!|".chars() {
            assert_eq!(
                md_err(&c.to_string()),
                format!("Character '{c}' is reserved and must be escaped with the preceding '\\'")
            );
            assert_eq!(md_ok(&format!("\\{c}")), (c.to_string(), vec![]));
        }
        assert_eq!(
            md_err("🏟 🏟>"),
            "Character '>' is reserved and must be escaped with the preceding '\\'"
        );
        assert_eq!(md_ok("\\\\\\a\\b\\➡️\\"), ("\\ab\\➡️\\".to_owned(), vec![]));
        assert_eq!(md_ok("🏟 🏟**"), ("🏟 🏟".to_owned(), vec![]));
        assert_eq!(md_ok("🏟 🏟____"), ("🏟 🏟".to_owned(), vec![]));
        assert_eq!(md_ok("🏟 🏟``````"), ("🏟 🏟".to_owned(), vec![]));
    }

    #[test]
    fn markdown_v2_errors_match_telegram() {
        assert_eq!(
            md_err("🏟 🏟_abacaba"),
            "Can't find end of Italic entity at byte offset 9"
        );
        assert_eq!(
            md_err("🏟 🏟_abac * asd "),
            "Can't find end of Bold entity at byte offset 15"
        );
        assert_eq!(
            md_err("🏟 🏟`"),
            "Can't find end of Code entity at byte offset 9"
        );
        assert_eq!(
            md_err("🏟 🏟```a"),
            "Can't find end of Pre entity at byte offset 9"
        );
        assert_eq!(
            md_err("🏟 🏟```a "),
            "Can't find end of PreCode entity at byte offset 9"
        );
        assert_eq!(
            md_err("🏟 🏟__🏟 🏟_"),
            "Can't find end of Italic entity at byte offset 20"
        );
        assert_eq!(
            md_err("🏟 🏟_🏟 🏟__"),
            "Can't find end of Underline entity at byte offset 19"
        );
        assert_eq!(
            md_err("🏟 🏟```🏟 🏟\\`"),
            "Can't find end of PreCode entity at byte offset 9"
        );
        assert_eq!(
            md_err("[telegram\\.org](asd\\)"),
            "Can't find end of a URL at byte offset 16"
        );
        assert_eq!(
            md_err("🏟 🏟||test\\|"),
            "Can't find end of Spoiler entity at byte offset 9"
        );
        assert_eq!(
            md_err("🏟 🏟![👍]"),
            "The entity must contain a tg://emoji or tg://time URL"
        );
        assert_eq!(
            md_err("🏟 🏟![👍](tg://emoji?id=1234"),
            "Can't find end of a URL at byte offset 17"
        );
        assert_eq!(
            md_err("🏟 🏟![👍](t://emoji?id=1234)"),
            "Invalid tg://emoji or tg://time URL specified"
        );
        assert_eq!(
            md_err("🏟 🏟![👍](tg://emoji?test=1231&id=025)"),
            "Invalid tg://emoji or tg://time URL specified"
        );
        assert_eq!(
            md_err(">*b\n>ld \n>bo\nld*\nasd\ndef"),
            "Can't find end of Bold entity at byte offset 1"
        );
        assert_eq!(
            md_err(">\n*a*>2"),
            "Character '>' is reserved and must be escaped with the preceding '\\'"
        );
        assert_eq!(
            md_err(">asd\n>q||e||w||a\n||asdad"),
            "Can't find end of Spoiler entity at byte offset 13"
        );
        assert_eq!(
            md_err(">asd\n>q||e||w__\n||asdad"),
            "Can't find end of Underline entity at byte offset 13"
        );
        assert_eq!(
            parse_markdown_v2("*x").unwrap_err(),
            MarkupError::UnclosedEntity {
                entity: "Bold",
                byte_offset: 0
            }
        );
    }

    #[test]
    fn markdown_v2_parses_like_telegram() {
        assert_eq!(
            md_ok("🏟 🏟_🏟 __🏟___"),
            (
                "🏟 🏟🏟 🏟".to_owned(),
                vec![("italic", 5, 5), ("underline", 8, 2)]
            )
        );
        assert_eq!(
            md_ok("🏟 🏟__🏟 _🏟_\\___"),
            (
                "🏟 🏟🏟 🏟_".to_owned(),
                vec![("underline", 5, 6), ("italic", 8, 2)]
            )
        );
        assert_eq!(md_ok("🏟 🏟```🏟\n\r🏟```").1, [("pre", 5, 2)]);
        assert_eq!(
            md_ok("🏟 🏟```🏟\n\n🏟```"),
            ("🏟 🏟\n🏟".to_owned(), vec![("pre", 5, 3)])
        );
        assert_eq!(
            md_ok("`_* *_`__*` `*__"),
            (
                "_* *_ ".to_owned(),
                vec![
                    ("code", 0, 5),
                    ("bold", 5, 1),
                    ("underline", 5, 1),
                    ("code", 5, 1)
                ]
            )
        );
        assert_eq!(md_ok("[](telegram.org)"), (String::new(), vec![]));
        assert_eq!(
            md_ok("[telegram\\.org]a"),
            ("telegram.orga".to_owned(), vec![("text_link", 0, 12)])
        );
        let (_, entities) = parse_markdown_v2("[x](tg:user?id=123456)").unwrap();
        assert_eq!(
            (entities[0].kind.as_str(), entities[0].user_id),
            ("text_mention", Some(123456))
        );
        let (_, entities) =
            parse_markdown_v2("🏟 🏟![👍](TG://EMoJI/?test=1231&id=25#id=32)a").unwrap();
        assert_eq!(spans(&entities), [("custom_emoji", 5, 2)]);
        assert_eq!(entities[0].custom_emoji_id.as_deref(), Some("25"));
        // A date is accepted but not kept.
        assert_eq!(
            md_ok("🏟 🏟![👍](TG://TiME/?test=1231&format=R&unix=25#unix=32)a"),
            ("🏟 🏟👍a".to_owned(), vec![])
        );
        // Blockquotes.
        assert_eq!(
            md_ok("> \n> \n>"),
            (" \n \n".to_owned(), vec![("blockquote", 0, 4)])
        );
        assert_eq!(
            md_ok("abc\n> \n> \n>\ndef"),
            ("abc\n \n \n\ndef".to_owned(), vec![("blockquote", 4, 5)])
        );
        assert_eq!(md_ok(">"), (String::new(), vec![]));
        assert_eq!(md_ok(">||"), (String::new(), vec![]));
        assert_eq!(
            md_ok(">\n1"),
            ("\n1".to_owned(), vec![("blockquote", 0, 1)])
        );
        assert_eq!(
            md_ok(">\n**>2"),
            (
                "\n2".to_owned(),
                vec![("blockquote", 0, 1), ("blockquote", 1, 1)]
            )
        );
        assert_eq!(
            md_ok(">**\n>2"),
            ("\n2".to_owned(), vec![("blockquote", 0, 2)])
        );
        assert_eq!(
            md_ok("\r\r>\r\ra\r\n\r"),
            ("\r\r\r\ra\r\n\r".to_owned(), vec![("blockquote", 2, 5)])
        );
        assert_eq!(
            md_ok("*>abcd\n*"),
            (
                "abcd\n".to_owned(),
                vec![("blockquote", 0, 5), ("bold", 0, 5)]
            )
        );
        assert_eq!(
            md_ok(">*abcd*\n"),
            (
                "abcd\n".to_owned(),
                vec![("blockquote", 0, 5), ("bold", 0, 4)]
            )
        );
        assert_eq!(
            md_ok("*a\n>b\n>ld \n>bo\n>ld\nasd*\ndef"),
            (
                "a\nb\nld \nbo\nld\nasd\ndef".to_owned(),
                vec![("bold", 0, 17), ("blockquote", 2, 12)]
            )
        );
        assert_eq!(
            md_ok(">`b\n>ld \n>bo\nld`\n>asd\ndef"),
            (
                "b\n>ld \n>bo\nld\nasd\ndef".to_owned(),
                vec![("blockquote", 0, 18), ("code", 0, 13)]
            )
        );
        assert_eq!(
            md_ok(">asd\n>q||e||w||\nasdad"),
            (
                "asd\nqew\nasdad".to_owned(),
                vec![("expandable_blockquote", 0, 8), ("spoiler", 5, 1)]
            )
        );
        assert_eq!(
            md_ok(">asd\n>q||ew||\nasdad"),
            (
                "asd\nqew\nasdad".to_owned(),
                vec![("blockquote", 0, 8), ("spoiler", 5, 2)]
            )
        );
        assert_eq!(
            md_ok(">asd\r\n>q||e||w||\r\n"),
            (
                "asd\r\nqew\r\n".to_owned(),
                vec![("expandable_blockquote", 0, 10), ("spoiler", 6, 1)]
            )
        );
        assert_eq!(
            md_ok(">asd\r\n>q||e||w||"),
            (
                "asd\r\nqew".to_owned(),
                vec![("expandable_blockquote", 0, 8), ("spoiler", 6, 1)]
            )
        );
    }

    #[test]
    fn html_errors_match_telegram() {
        let surrogate = "Text contains invalid Unicode characters after decoding HTML entities, check for unmatched surrogate code units";
        assert_eq!(html_err("&#57311;"), surrogate);
        assert_eq!(html_err("&#xDFDF"), surrogate);
        assert_eq!(
            html_err("🏟 🏟&lt;<abacaba"),
            "Unclosed start tag at byte offset 13"
        );
        assert_eq!(
            html_err("🏟 🏟&lt;<abac aba>"),
            "Unsupported start tag \"abac\" at byte offset 13"
        );
        assert_eq!(
            html_err("🏟 🏟&lt;<i   =aba>"),
            "Empty attribute name in the tag \"i\" at byte offset 13"
        );
        assert_eq!(
            html_err("🏟 🏟&lt;<i    aba>"),
            "Can't find end tag corresponding to start tag \"i\""
        );
        assert_eq!(
            html_err("🏟 🏟&lt;<i    aba  =  "),
            "Unclosed start tag \"i\" at byte offset 13"
        );
        assert_eq!(
            html_err("🏟 🏟&lt;<i    aba  =  190azAz-.,"),
            "Unexpected end of name token at byte offset 27"
        );
        assert_eq!(
            html_err("🏟 🏟&lt;<i    aba  =  \"&lt;&gt;&quot;>"),
            "Unclosed start tag at byte offset 13"
        );
        assert_eq!(
            html_err("🏟 🏟&lt;</"),
            "Unexpected end tag at byte offset 13"
        );
        assert_eq!(
            html_err("🏟 🏟&lt;<b></b></"),
            "Unexpected end tag at byte offset 20"
        );
        assert_eq!(
            html_err("🏟 🏟&lt;<i>a</i   "),
            "Unclosed end tag at byte offset 17"
        );
        assert_eq!(
            html_err("🏟 🏟&lt;<i>a</em   >"),
            "Unmatched end tag at byte offset 17, expected \"</i>\", found \"</em>\""
        );
        assert_eq!(
            html_err("<span>x</span>"),
            "Tag \"span\" must have class \"tg-spoiler\" at byte offset 0"
        );
        assert_eq!(
            html_err("<tg-emoji emoji-id=\"x1\">y</tg-emoji>"),
            "Invalid custom emoji identifier specified"
        );
        assert_eq!(
            html_err("a < b"),
            "Unsupported start tag \"\" at byte offset 2"
        );
        assert_eq!(
            parse_html("<b>x").unwrap_err().telegram_description(),
            "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\""
        );
    }

    #[test]
    fn html_parses_like_telegram() {
        let ok = |markup: &str| parse_html(markup).unwrap_or_else(|e| panic!("{markup:?}: {e}"));
        assert_eq!(
            ok("&ge;&lt;&gt;&amp;&quot;&laquo;&raquo;&#12345678;").0,
            "&ge;<>&\"&laquo;&raquo;&#12345678;"
        );
        assert_eq!(ok("&#x1F4A1;&#128161&#0;&#x;").0, "💡💡&#0;&#x;");
        let (text, entities) = ok("🏟 🏟<i>🏟 &gt;<b aba   =   caba>&lt🏟</b></i>");
        assert_eq!(text, "🏟 🏟🏟 ><🏟");
        assert_eq!(spans(&entities), [("italic", 5, 7), ("bold", 9, 3)]);
        assert_eq!(
            spans(&ok("🏟 🏟&lt;<i    aba  =  '&lt;&gt;&quot;'>a</>").1),
            [("italic", 6, 1)]
        );
        assert_eq!(spans(&ok("🏟 🏟&lt;<i>a</    >").1), [("italic", 6, 1)]);
        assert_eq!(spans(&ok("<B>x</b><STRONG>y</Strong><em>z</em><ins>u</ins><strike>s</strike><del>d</del>").1).len(), 6);
        assert_eq!(ok("🏟 🏟&lt;<b></b>"), ("🏟 🏟<".to_owned(), vec![]));
        assert_eq!(
            spans(&ok("<i><b> </b> <code> </code></i>").1),
            [("italic", 0, 3), ("bold", 0, 1), ("code", 2, 1)]
        );
        // Entities inside code are dropped; with the same span they simply go around it.
        assert_eq!(spans(&ok("<code>a<i>b</i></code>").1), [("code", 0, 2)]);
        assert_eq!(
            spans(&ok("<code><i><b> </b></i></code>").1),
            [("bold", 0, 1), ("italic", 0, 1), ("code", 0, 1)]
        );
        // pre + code.
        assert_eq!(
            ok("<pre><code>x</code></pre>").1,
            [Entity::new("pre", 0, 1)]
        );
        for markup in [
            "<pre><code class=\"language-fift\">x</code></pre>",
            "<code class=\"language-fift\"><pre>x</pre></code>",
        ] {
            let (_, entities) = ok(markup);
            assert_eq!(entities.len(), 1);
            assert_eq!(
                (entities[0].kind.as_str(), entities[0].language.as_deref()),
                ("pre", Some("fift"))
            );
        }
        assert_eq!(
            spans(&ok("<pre><code class=\"language-fift\">a</> </>").1),
            [("pre", 0, 2)]
        );
        assert_eq!(
            ok("<code class=\"language-x\">a</code>").1,
            [Entity::new("code", 0, 1)]
        );
        // Links.
        let (_, entities) = ok("<a href=telegram.org>x</a><a>https://t.me/y</a><a href=\"\">z</a><a href='TG://User?ID=5'>w</a>");
        assert_eq!(entities[0].url.as_deref(), Some("telegram.org"));
        assert_eq!(entities[1].url.as_deref(), Some("https://t.me/y"));
        assert_eq!(entities[2].url.as_deref(), Some("z"));
        assert_eq!(
            (entities[3].kind.as_str(), entities[3].user_id),
            ("text_mention", Some(5))
        );
        // Spoilers, custom emoji, blockquotes, tg-time.
        let (_, entities) = ok("<span class = \"tg-spoiler\">a</span><tg-spoiler>b</tg-spoiler><tg-emoji emoji-id = \"12345\">c</tg-emoji>");
        assert_eq!(
            spans(&entities),
            [("spoiler", 0, 1), ("spoiler", 1, 1), ("custom_emoji", 2, 1)]
        );
        assert_eq!(entities[2].custom_emoji_id.as_deref(), Some("12345"));
        for (markup, kind) in [
            (
                "<blockquote   cite=\"\" askdlbas nasjdbaj nj12b3>a&lt;<pre  >b;</></>",
                "blockquote",
            ),
            (
                "<blockquote   expandable>a&lt;<pre  >b;</></>",
                "expandable_blockquote",
            ),
            (
                "<blockquote   expandable   asd>a&lt;<pre  >b;</></>",
                "expandable_blockquote",
            ),
            (
                "<blockquote   expandable=false>a&lt;<pre  >b;</></>",
                "expandable_blockquote",
            ),
        ] {
            let (text, entities) = ok(markup);
            assert_eq!(text, "a<b;");
            assert_eq!(spans(&entities), [(kind, 0, 4), ("pre", 2, 2)]);
        }
        assert_eq!(
            ok("<tg-time unix=\"1647531900\" format=\"wDT\">22:45</tg-time>"),
            ("22:45".to_owned(), vec![])
        );
    }

    #[test]
    fn parsers_never_panic_on_prefixes_and_junk() {
        let samples = [
            "*b _i __u__ ~s~ ||sp|| [l](http://x\\)) `c\\`` ![👍](tg://emoji?id=5)_*\n```rust\nfn x()```\n**>q\n>r||",
            "<b>a<i>b</i><a href=\"x&amp;y\">c</a><tg-emoji emoji-id='7'>d</tg-emoji><pre><code class=\"language-c\">e&lt;</code></pre><blockquote expandable>f</blockquote></b>&#x1F600;&",
        ];
        assert!(parse_markdown_v2(samples[0]).is_ok());
        assert!(parse_html(samples[1]).is_ok());
        for sample in samples {
            for (end, _) in sample.char_indices() {
                let _ = parse_markdown_v2(&sample[..end]);
                let _ = parse_html(&sample[..end]);
            }
        }
        let mut rng = TestRng(crate::io::SeededRng::new(0x9e37_79b9_7f4a_7c15));
        let alphabet: Vec<char> = "_*[]()~`>#+-=|{}.!\\\n\r <>&;#x/\"'=abtgpre😀"
            .chars()
            .collect();
        for _ in 0..20_000 {
            let n = rng.below(24);
            let s: String = (0..n)
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect();
            if let Ok((text, entities)) = parse_markdown_v2(&s) {
                check_entities_valid(&text, &entities);
            }
            if let Ok((text, entities)) = parse_html(&s) {
                check_entities_valid(&text, &entities);
            }
        }
    }

    fn check_entities_valid(text: &str, entities: &[Entity]) {
        for entity in entities {
            assert!(entity.length > 0, "{text:?} {entity:?}");
            assert!(
                utf16_to_byte_range(text, entity.offset, entity.length).is_some(),
                "{text:?} {entity:?}"
            );
        }
    }

    // ----- Round trips -------------------------------------------------------------------------

    /// Checks that both markups of `(text, entities)` parse back to the text and the normalised
    /// entities, and that the normalised list is `expected` when given.
    fn round_trip(text: &str, entities: &[EntityRef<'_>], expected: Option<&[Entity]>) {
        let normal = normalize_entities(text, entities);
        if let Some(expected) = expected {
            assert_eq!(normal, expected, "normalisation of {text:?} {entities:?}");
        }
        let html = to_html(text, entities);
        match parse_html(&html) {
            Ok(parsed) => assert_eq!(
                parsed,
                (text.to_owned(), normal.clone()),
                "HTML {html:?} of {text:?} {entities:?}"
            ),
            Err(error) => panic!("HTML {html:?} of {text:?} {entities:?}: {error}"),
        }
        let md = to_markdown_v2(text, entities);
        match parse_markdown_v2(&md) {
            Ok(parsed) => assert_eq!(
                parsed,
                (text.to_owned(), normal),
                "MarkdownV2 {md:?} of {text:?} {entities:?}"
            ),
            Err(error) => panic!("MarkdownV2 {md:?} of {text:?} {entities:?}: {error}"),
        }
    }

    #[test]
    fn round_trip_hand_built_cases() {
        let cases: Vec<(&str, Vec<EntityRef<'_>>)> = vec![
            ("", vec![]),
            ("plain _*[]()~`>#+-=|{}.!\\ &<>\" text", vec![]),
            (
                "💡 Tip: use /start",
                vec![
                    e("bold", 0, 2),
                    e("italic", 3, 3),
                    e("bot_command", 12, 6),
                    e("code", 12, 6),
                ],
            ),
            (
                "see the docs now",
                vec![
                    link(4, 8, "https://core.telegram.org/bots/api#markdownv2-style"),
                    e("italic", 4, 8),
                    e("bold", 8, 4),
                ],
            ),
            (
                "hello @user and 👋 friends",
                vec![
                    mention(6, 5, 12345),
                    e("mention", 6, 5),
                    e("spoiler", 16, 2),
                    emoji(16, 2, "5368324170671202286"),
                ],
            ),
            (
                "a*b_c~d|e",
                vec![
                    e("strikethrough", 0, 9),
                    e("underline", 2, 5),
                    e("bold", 4, 1),
                ],
            ),
            (
                "italic underline",
                vec![e("underline", 0, 16), e("italic", 0, 16)],
            ),
            (
                "x__y__z",
                vec![e("italic", 0, 7), e("underline", 1, 5), e("italic", 2, 1)],
            ),
            ("fn main() {}\n", vec![pre(0, 13, "rust")]),
            (
                "`tick` and \\back\\",
                vec![e("code", 0, 6), pre(11, 6, "sh")],
            ),
            (
                "quote me\nplease\nnot me",
                vec![e("blockquote", 0, 16), e("bold", 6, 2), e("italic", 9, 6)],
            ),
            (
                "q1\nq2\nq3",
                vec![
                    e("expandable_blockquote", 0, 3),
                    e("blockquote", 3, 3),
                    e("expandable_blockquote", 6, 2),
                ],
            ),
            (
                "🇺🇦 👨‍💻 🏳️‍🌈",
                vec![e("bold", 0, 4), e("italic", 5, 5), e("underline", 11, 6)],
            ),
            (
                "link)with\\specials",
                vec![link(0, 18, "https://e.com/a)b\\c\"d<e>&f")],
            ),
        ];
        for (text, entities) in &cases {
            round_trip(text, entities, None);
        }
    }

    /// A tiny deterministic generator over the crate's seeded one.
    struct TestRng(crate::io::SeededRng);

    impl TestRng {
        fn next(&mut self) -> u64 {
            self.0.next_u64()
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }

        fn chance(&mut self, percent: u64) -> bool {
            self.next() % 100 < percent
        }

        fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
            &items[self.below(items.len())]
        }
    }

    const PIECES: &[&str] = &[
        "a",
        "bc",
        "Zz9",
        " ",
        "  ",
        "word",
        "é",
        "Ж",
        "中文",
        "😀",
        "👍🏽",
        "🇺🇦",
        "👨‍💻",
        "\t",
        "_",
        "*",
        "[",
        "]",
        "(",
        ")",
        "~",
        "`",
        ">",
        "#",
        "+",
        "-",
        "=",
        "|",
        "{",
        "}",
        ".",
        "!",
        "\\",
        "&",
        "<",
        "\"",
        "'",
        "&amp;",
        "&#33;",
        "__",
        "**",
        "```",
        "||",
        "\\_",
        "<b>",
        "</i>",
    ];

    const STYLES: &[&str] = &[
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "code",
        "pre",
        "text_link",
        "text_mention",
        "custom_emoji",
    ];

    const URLS: &[&str] = &[
        "https://example.com/a_(b)?q=1&r=2",
        "http://t.me/x\\y",
        "https://e.com/\"quoted\"<tag>",
        "https://x.y/~*_`[]!#",
        "tg://resolve?domain=botwire",
    ];

    fn is_link_kind(kind: &str) -> bool {
        matches!(kind, "text_link" | "text_mention" | "custom_emoji")
    }

    /// Fills `[lo, hi)` (UTF-16 units, at char boundaries from `cuts`) with a random tree of
    /// formatting entities that may nest under `ancestors`.
    fn gen_tree(
        rng: &mut TestRng,
        cuts: &[usize],
        lo: usize,
        hi: usize,
        ancestors: &mut Vec<&'static str>,
        out: &mut Vec<Entity>,
    ) {
        if ancestors.len() > 4 || hi <= lo {
            return;
        }
        let inside: Vec<usize> = cuts
            .iter()
            .copied()
            .filter(|&c| c >= lo && c <= hi)
            .collect();
        let children = rng.below(4);
        let mut points: Vec<usize> = (0..children * 2).map(|_| *rng.pick(&inside)).collect();
        points.sort_unstable();
        for pair in points.chunks(2) {
            let (start, end) = (pair[0], pair[1]);
            if start == end {
                continue;
            }
            let allowed: Vec<&'static str> = STYLES
                .iter()
                .copied()
                .filter(|kind| !ancestors.contains(kind))
                .filter(|kind| !(is_link_kind(kind) && ancestors.iter().any(|a| is_link_kind(a))))
                .collect();
            if allowed.is_empty() {
                continue;
            }
            let kind = *rng.pick(&allowed);
            let mut entity = Entity::new(kind, start as i64, (end - start) as i64);
            match kind {
                "pre" => {
                    entity.language = rng
                        .chance(50)
                        .then(|| rng.pick(&["rust", "c++", "python3", "x-y_z"]).to_string())
                }
                "text_link" => entity.url = Some(rng.pick(URLS).to_string()),
                "text_mention" => {
                    entity.user_id = Some(*rng.pick(&[1, 123_456_789, 7_412_093_385]))
                }
                "custom_emoji" => {
                    entity.custom_emoji_id =
                        Some(rng.pick(&["5368324170671202286", "1", "42"]).to_string())
                }
                _ => {}
            }
            out.push(entity);
            if kind != "code" && kind != "pre" {
                ancestors.push(kind);
                gen_tree(rng, cuts, start, end, ancestors, out);
                ancestors.pop();
            }
        }
    }

    fn gen_case(rng: &mut TestRng) -> (String, Vec<Entity>, Vec<Entity>) {
        let lines: Vec<String> = (0..1 + rng.below(3))
            .map(|_| (0..1 + rng.below(6)).map(|_| *rng.pick(PIECES)).collect())
            .collect();
        let text = lines.join("\n");
        let mut cuts = vec![0];
        let mut units = 0;
        for c in text.chars() {
            units += c.len_utf16();
            cuts.push(units);
        }
        let mut line_spans = Vec::new();
        let mut start = 0;
        for line in &lines {
            let end = start + utf16_len(line);
            line_spans.push((start, end));
            start = end + 1;
        }
        let total = utf16_len(&text);
        let mut formatting = Vec::new();
        let mut ancestors = Vec::new();
        if rng.chance(40) {
            // A blockquote over whole lines, with its line break when another line follows.
            let first = rng.below(lines.len());
            let last = first + rng.below(lines.len() - first);
            let (quote_start, content_end) = (line_spans[first].0, line_spans[last].1);
            let quote_end = if last + 1 < lines.len() {
                content_end + 1
            } else {
                content_end
            };
            let kind = if rng.chance(50) {
                "blockquote"
            } else {
                "expandable_blockquote"
            };
            formatting.push(Entity::new(
                kind,
                quote_start as i64,
                (quote_end - quote_start) as i64,
            ));
            gen_tree(rng, &cuts, 0, quote_start, &mut ancestors, &mut formatting);
            ancestors.push("blockquote");
            gen_tree(
                rng,
                &cuts,
                quote_start,
                content_end,
                &mut ancestors,
                &mut formatting,
            );
            ancestors.pop();
            gen_tree(
                rng,
                &cuts,
                quote_end,
                total,
                &mut ancestors,
                &mut formatting,
            );
        } else {
            gen_tree(rng, &cuts, 0, total, &mut ancestors, &mut formatting);
        }
        // Entities without markup and invalid ones, anywhere: they must be ignored.
        let mut all = formatting.clone();
        for _ in 0..rng.below(4) {
            let kind = *rng.pick(&[
                "mention",
                "hashtag",
                "url",
                "bot_command",
                "cashtag",
                "date_time",
                "bold",
                "pre",
            ]);
            let offset = rng.below(total + 3) as i64 - 1;
            let length = rng.below(total + 2) as i64 - if rng.chance(20) { 2 } else { 0 };
            let entity = Entity::new(kind, offset, length);
            let valid = utf16_to_byte_range(&text, offset, length).is_some_and(|r| !r.is_empty());
            if !valid || !matches!(kind, "bold" | "pre") {
                all.push(entity);
            }
        }
        let shuffled_len = all.len();
        for i in (1..shuffled_len).rev() {
            all.swap(i, rng.below(i + 1));
        }
        formatting.sort_by_key(canonical_key);
        (text, all, formatting)
    }

    #[test]
    fn round_trip_random_entity_trees() {
        let mut rng = TestRng(crate::io::SeededRng::new(0x2545_f491_4f6c_dd1d));
        let mut with_quote = 0;
        let mut deep = 0;
        for _ in 0..3000 {
            let (text, entities, expected) = gen_case(&mut rng);
            with_quote += usize::from(expected.iter().any(|e| e.kind.ends_with("blockquote")));
            deep += usize::from(expected.len() >= 4);
            let refs: Vec<EntityRef<'_>> = entities.iter().map(Entity::as_ref).collect();
            round_trip(&text, &refs, Some(&expected));
            // The legacy writer must not panic either.
            let _ = to_markdown_legacy(&text, &refs);
        }
        assert!(
            with_quote > 500 && deep > 500,
            "generator coverage: {with_quote} quotes, {deep} deep trees"
        );
    }

    /// Arbitrary entity lists (overlapping, nested anyhow, quotes anywhere): the HTML always
    /// round-trips exactly, and the MarkdownV2 always parses back to the same text, with valid
    /// entities of the kinds given.
    #[test]
    fn writers_accept_arbitrary_entities() {
        let kinds = [
            "bold",
            "italic",
            "underline",
            "strikethrough",
            "spoiler",
            "code",
            "pre",
            "text_link",
            "text_mention",
            "custom_emoji",
            "blockquote",
            "expandable_blockquote",
            "mention",
        ];
        let mut rng = TestRng(crate::io::SeededRng::new(0x5851_f42d_4c95_7f2d));
        for _ in 0..3000 {
            let text: String = (0..rng.below(12))
                .map(|_| {
                    if rng.chance(25) {
                        "\n"
                    } else {
                        *rng.pick(PIECES)
                    }
                })
                .collect();
            let total = utf16_len(&text) as i64;
            let entities: Vec<Entity> = (0..rng.below(8))
                .map(|_| {
                    let offset = rng.below(total as usize + 1) as i64;
                    let length = rng.below((total - offset) as usize + 1) as i64;
                    let mut entity = Entity::new(*rng.pick(&kinds), offset, length);
                    entity.url = Some(rng.pick(URLS).to_string());
                    entity.user_id = Some(77);
                    entity.custom_emoji_id = Some("99".to_owned());
                    entity.language = rng.chance(50).then(|| "rust".to_owned());
                    entity
                })
                .collect();
            let refs: Vec<EntityRef<'_>> = entities.iter().map(Entity::as_ref).collect();
            let normal = normalize_entities(&text, &refs);
            let html = to_html(&text, &refs);
            assert_eq!(
                parse_html(&html),
                Ok((text.clone(), normal.clone())),
                "{html:?} {refs:?}"
            );
            let md = to_markdown_v2(&text, &refs);
            match parse_markdown_v2(&md) {
                Ok((plain, parsed)) => {
                    assert_eq!(plain, text, "{md:?}");
                    check_entities_valid(&plain, &parsed);
                    for entity in &parsed {
                        assert!(
                            entities.iter().any(|e| e.kind == entity.kind),
                            "{md:?} {entity:?}"
                        );
                    }
                }
                Err(error) => panic!("{md:?} of {text:?} {refs:?}: {error}"),
            }
            let _ = to_markdown_legacy(&text, &refs);
        }
    }

    #[test]
    fn entity_views() {
        let owned = Entity {
            url: Some("https://t.me".into()),
            ..Entity::new("text_link", 1, 2)
        };
        let view = owned.as_ref();
        assert_eq!(
            view,
            EntityRef {
                url: Some("https://t.me"),
                ..EntityRef::new("text_link", 1, 2)
            }
        );
        assert_eq!(view.to_entity(), owned);
        assert_eq!(EntityRef::from(&owned), view);
    }
}
