//! Tests of the glance: behaviour, errors and the spec-drift checks.

use super::*;

/// Realistic updates, one per kind the corpus generator produces (taken from its output).
const SAMPLES: &[(&str, &str)] = &[
    (
        "message.text",
        r#"{"update_id":731209439,"message":{"message_id":48965,"from":{"id":7896560369,"is_bot":false,"first_name":"Jasur"},"chat":{"id":7896560369,"first_name":"Jasur","type":"private"},"date":1781515493,"text":"Where where?"}}"#,
    ),
    (
        "message.text+entities",
        r#"{"update_id":731200003,"message":{"message_id":50998,"from":{"id":581513427,"is_bot":false,"first_name":"J\u00fcrgen","username":"alex19974","language_code":"de"},"chat":{"id":581513427,"first_name":"J\u00fcrgen","username":"alex19974","type":"private"},"date":1781510401,"reply_to_message":{"message_id":50982,"from":{"id":581513427,"is_bot":false,"first_name":"J\u00fcrgen"},"chat":{"id":581513427,"first_name":"J\u00fcrgen","type":"private"},"date":1781506591,"photo":[]},"text":"\ud83d\ude0e \u0444\u0430\u0439\u043b @user67038 the new","entities":[{"offset":9,"length":10,"type":"mention"}]}}"#,
    ),
    (
        "message.command",
        r#"{"update_id":731206453,"message":{"message_id":42826,"from":{"id":7365986564,"is_bot":false,"first_name":"Emily"},"chat":{"id":7365986564,"first_name":"Emily","type":"private"},"date":1781513873,"text":"/help","entities":[{"offset":0,"length":5,"type":"bot_command"}]}}"#,
    ),
    (
        "callback_query.message",
        r#"{"update_id":731201750,"callback_query":{"id":"4540030563747934342","from":{"id":7330689363,"is_bot":false,"first_name":"Putri","language_code":"id"},"message":{"message_id":69008,"from":{"id":7412093385,"is_bot":true,"first_name":"Wire Test Bot","username":"MyBot"},"chat":{"id":7330689363,"first_name":"Putri","type":"private"},"date":1781451347,"text":"File?","reply_markup":{"inline_keyboard":[[{"text":"\u2705 Yes","callback_data":"toggle:notify"}]]}},"chat_instance":"4303818831223892688","data":"page:126"}}"#,
    ),
    (
        "callback_query.inline",
        r#"{"update_id":731202049,"callback_query":{"id":"3044517238607061232","from":{"id":1354202017,"is_bot":false,"first_name":"James","language_code":"en"},"inline_message_id":"BAAAAfa8Nni7MbMz7tUy2oQjdiV","chat_instance":"-4839629946502776633","data":"confirm:41"}}"#,
    ),
    (
        "edited_message",
        r#"{"update_id":731206674,"edited_message":{"message_id":66896,"from":{"id":1415895201,"is_bot":false,"first_name":"Otabek","language_code":"uz"},"chat":{"id":1415895201,"first_name":"Otabek","type":"private"},"date":1781512307,"edit_date":1781513985,"text":"later"}}"#,
    ),
    (
        "inline_query",
        r#"{"update_id":731203982,"inline_query":{"id":"8419447279933655119","from":{"id":6941391491,"is_bot":false,"first_name":"James"},"chat_type":"supergroup","query":"music ","offset":""}}"#,
    ),
    (
        "chosen_inline_result",
        r#"{"update_id":731200991,"chosen_inline_result":{"result_id":"42338","from":{"id":3608526191,"is_bot":false,"first_name":"Malika","last_name":"Karimov"},"query":""}}"#,
    ),
    (
        "channel_post",
        r#"{"update_id":731206458,"channel_post":{"message_id":7792,"sender_chat":{"id":-1002083661906,"title":"Crypto Alerts","type":"channel"},"chat":{"id":-1002083661906,"title":"Crypto Alerts","type":"channel"},"date":1781513877,"text":"C\u00f3mo envi\u00e9 gracias. \u26a1 can","entities":[{"offset":22,"length":3,"type":"bold"}]}}"#,
    ),
    (
        "message.photo",
        r#"{"update_id":731201554,"message":{"message_id":85254,"from":{"id":5786626685,"is_bot":false,"first_name":"Agus"},"chat":{"id":5786626685,"first_name":"Agus","type":"private"},"date":1781511199,"photo":[{"file_id":"AgACAgIAAxkBAAIuRq0MEdwMzQ4sE3tF0WpRaR","file_unique_id":"AQADVGLV890HSahfLs6r","file_size":5220,"width":90,"height":51},{"file_id":"AgACAgIAAxkBAAIuRq0MEdwMzQ4sE3tF0WpRaS","file_unique_id":"AQADwGwB-8PaIdKgZ","file_size":28321,"width":320,"height":180}],"caption":"\ud83d\udcf7 look"}}"#,
    ),
    (
        "chat_member",
        r#"{"update_id":731207830,"chat_member":{"chat":{"id":-1002316559372,"title":"Team Alpha","type":"supergroup"},"from":{"id":1581657087,"is_bot":false,"first_name":"\u82b3","last_name":"Chen"},"date":1781514582,"old_chat_member":{"user":{"id":1581657087,"is_bot":false,"first_name":"\u82b3"},"status":"left"},"new_chat_member":{"user":{"id":1581657087,"is_bot":false,"first_name":"\u82b3"},"status":"member"}}}"#,
    ),
    (
        "my_chat_member",
        r#"{"update_id":731208864,"my_chat_member":{"chat":{"id":1902331122,"first_name":"Larissa","type":"private"},"from":{"id":1902331122,"is_bot":false,"first_name":"Larissa"},"date":1781515181,"old_chat_member":{"user":{"id":7412093385,"is_bot":true,"first_name":"Wire Test Bot","username":"MyBot"},"status":"member"},"new_chat_member":{"user":{"id":7412093385,"is_bot":true,"first_name":"Wire Test Bot","username":"MyBot"},"status":"kicked","until_date":0}}}"#,
    ),
    (
        "message.sticker",
        r#"{"update_id":731208257,"message":{"message_id":48960,"from":{"id":7896560369,"is_bot":false,"first_name":"Jasur"},"chat":{"id":7896560369,"first_name":"Jasur","type":"private"},"date":1781514837,"sticker":{"width":512,"height":512,"emoji":"\ud83c\udf89","set_name":"Meowmeow","is_animated":false,"is_video":false,"type":"regular","thumbnail":{"file_id":"AAMCAgADGQEAAbEWhkcfnNVz","file_unique_id":"AQADi7rxNP6Qsnd2l","file_size":8868,"width":128,"height":128},"file_id":"CAACAgIAAxkBAAI44UMCLEPfa3Lp","file_unique_id":"AQADPNNQoS4uaCfb8fO","file_size":55243}}}"#,
    ),
    (
        "message.document",
        r#"{"update_id":731209415,"message":{"message_id":53297,"from":{"id":7727714313,"is_bot":false,"first_name":"Emre","language_code":"tr"},"chat":{"id":7727714313,"first_name":"Emre","type":"private"},"date":1781515480,"document":{"file_name":"data.csv","mime_type":"text/csv","file_id":"BQACAgIAAxkBAAIJ91FoM3sSORWGz","file_unique_id":"AQAD2chbE0_bJpi4PFfq","file_size":26207974}}}"#,
    ),
    (
        "message.voice",
        r#"{"update_id":731207068,"message":{"message_id":5039,"from":{"id":1035608212,"is_bot":false,"first_name":"Diego","language_code":"es"},"chat":{"id":1035608212,"first_name":"Diego","type":"private"},"date":1781514182,"voice":{"duration":124,"mime_type":"audio/ogg","file_id":"AwACAgIAAxkBAAIN4Z6Pftt3K2lAKIYDJm","file_unique_id":"AQADCqDlpe8mBTRVAubK","file_size":134836}}}"#,
    ),
    (
        "poll",
        r#"{"update_id":731201977,"poll":{"id":"8264060846613219388","question":"order price today?","options":[{"persistent_id":"0","text":"Maybe","voter_count":31},{"persistent_id":"1","text":"No","voter_count":38}],"total_voter_count":69,"is_closed":true,"is_anonymous":true,"type":"regular","allows_multiple_answers":false}}"#,
    ),
    (
        "poll_answer",
        r#"{"update_id":731206322,"poll_answer":{"poll_id":"8756513183918123946","user":{"id":586526202,"is_bot":false,"first_name":"Mia","language_code":"en"},"option_ids":[1],"option_persistent_ids":["1"]}}"#,
    ),
    (
        "message_reaction",
        r#"{"update_id":731203476,"message_reaction":{"chat":{"id":-1001732615672,"title":"Rust Developers","type":"supergroup"},"message_id":61185,"user":{"id":3783509539,"is_bot":false,"first_name":"Putri","language_code":"id"},"date":1781512233,"old_reaction":[],"new_reaction":[{"type":"emoji","emoji":"\ud83d\udc4f"}]}}"#,
    ),
];

fn sample(name: &str) -> &'static str {
    SAMPLES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, json)| *json)
        .unwrap_or_else(|| panic!("no sample {name}"))
}

fn chat(
    content_type: ContentType,
    chat_type: &str,
    chat_id: i64,
    date: i64,
    message_id: i64,
) -> Headline<'static> {
    Headline::Chat {
        content_type,
        chat_type: Cow::Owned(chat_type.to_owned()),
        chat_id,
        date,
        message_id,
    }
}

fn glance_ok(json: &str) -> Glance<'_> {
    glance(json.as_bytes()).unwrap_or_else(|e| panic!("glance failed: {e}\n{json}"))
}

#[test]
fn every_corpus_kind_glances() {
    let expected: &[(&str, &str, Flavor, Headline<'static>)] = &[
        (
            "message.text",
            "message",
            Flavor::Chat,
            chat(ContentType::Text, "private", 7896560369, 1781515493, 48965),
        ),
        (
            "message.text+entities",
            "message",
            Flavor::Chat,
            chat(ContentType::Text, "private", 581513427, 1781510401, 50998),
        ),
        (
            "message.command",
            "message",
            Flavor::Chat,
            chat(ContentType::Text, "private", 7365986564, 1781513873, 42826),
        ),
        (
            "callback_query.message",
            "callback_query",
            Flavor::CallbackQuery,
            Headline::CallbackQuery {
                id: "4540030563747934342".into(),
                from_id: 7330689363,
                data: Some("page:126".into()),
            },
        ),
        (
            "callback_query.inline",
            "callback_query",
            Flavor::CallbackQuery,
            Headline::CallbackQuery {
                id: "3044517238607061232".into(),
                from_id: 1354202017,
                data: Some("confirm:41".into()),
            },
        ),
        (
            "edited_message",
            "edited_message",
            Flavor::Chat,
            chat(ContentType::Text, "private", 1415895201, 1781512307, 66896),
        ),
        (
            "inline_query",
            "inline_query",
            Flavor::InlineQuery,
            Headline::InlineQuery {
                id: "8419447279933655119".into(),
                from_id: 6941391491,
                query: "music ".into(),
                offset: "".into(),
            },
        ),
        (
            "chosen_inline_result",
            "chosen_inline_result",
            Flavor::ChosenInlineResult,
            Headline::ChosenInlineResult {
                result_id: "42338".into(),
                from_id: 3608526191,
                query: "".into(),
            },
        ),
        (
            "channel_post",
            "channel_post",
            Flavor::Chat,
            chat(
                ContentType::Text,
                "channel",
                -1002083661906,
                1781513877,
                7792,
            ),
        ),
        (
            "message.photo",
            "message",
            Flavor::Chat,
            chat(ContentType::Photo, "private", 5786626685, 1781511199, 85254),
        ),
        (
            "chat_member",
            "chat_member",
            Flavor::Other("chat_member".into()),
            Headline::Other,
        ),
        (
            "my_chat_member",
            "my_chat_member",
            Flavor::Other("my_chat_member".into()),
            Headline::Other,
        ),
        (
            "message.sticker",
            "message",
            Flavor::Chat,
            chat(
                ContentType::Sticker,
                "private",
                7896560369,
                1781514837,
                48960,
            ),
        ),
        (
            "message.document",
            "message",
            Flavor::Chat,
            chat(
                ContentType::Document,
                "private",
                7727714313,
                1781515480,
                53297,
            ),
        ),
        (
            "message.voice",
            "message",
            Flavor::Chat,
            chat(ContentType::Voice, "private", 1035608212, 1781514182, 5039),
        ),
        (
            "poll",
            "poll",
            Flavor::Other("poll".into()),
            Headline::Other,
        ),
        (
            "poll_answer",
            "poll_answer",
            Flavor::Other("poll_answer".into()),
            Headline::Other,
        ),
        (
            "message_reaction",
            "message_reaction",
            Flavor::Other("message_reaction".into()),
            Headline::Other,
        ),
    ];
    assert_eq!(expected.len(), SAMPLES.len());
    for (name, kind, flavor, headline) in expected {
        let json = sample(name);
        let g = glance_ok(json);
        let expected_id: i64 = serde_json::from_str::<serde_json::Value>(json).unwrap()
            ["update_id"]
            .as_i64()
            .unwrap();
        assert_eq!(g.update_id, expected_id, "{name}");
        assert_eq!(g.kind, *kind, "{name}");
        assert_eq!(&g.flavor, flavor, "{name}");
        assert_eq!(&g.headline, headline, "{name}");
    }
}

#[test]
fn strings_borrow_from_the_input_when_unescaped() {
    let g = glance_ok(sample("callback_query.message"));
    assert!(matches!(g.kind, Cow::Borrowed("callback_query")));
    match g.headline {
        Headline::CallbackQuery { id, data, .. } => {
            assert!(matches!(id, Cow::Borrowed(_)));
            assert!(matches!(data, Some(Cow::Borrowed(_))));
        }
        other => panic!("{other:?}"),
    }
    // An escaped string cannot be borrowed but decodes correctly.
    let g = glance_ok(
        r#"{"update_id":1,"inline_query":{"id":"q\u00e9","from":{"id":2},"query":"caf\u00e9 \ud83d\ude00","offset":"10"}}"#,
    );
    match g.headline {
        Headline::InlineQuery {
            id, query, offset, ..
        } => {
            assert_eq!(id, "qé");
            assert_eq!(query, "café 😀");
            assert!(matches!(offset, Cow::Borrowed("10")));
        }
        other => panic!("{other:?}"),
    }
    let owned: Glance<'static> = glance_ok(sample("message.text")).into_owned();
    assert_eq!(owned.kind, "message");
}

#[test]
fn all_chat_kinds_are_chat() {
    for kind in CHAT_KINDS {
        let json = format!(
            r#"{{"update_id":3,"{kind}":{{"message_id":1,"date":2,"chat":{{"id":-5,"type":"group"}},"new_chat_title":"x"}}}}"#
        );
        let g = glance_ok(&json);
        assert_eq!(g.flavor, Flavor::Chat, "{kind}");
        assert_eq!(g.kind, *kind);
        assert_eq!(
            g.headline,
            chat(ContentType::NewChatTitle, "group", -5, 2, 1)
        );
    }
}

#[test]
fn shipping_and_pre_checkout_queries() {
    let g = glance_ok(
        r#"{"update_id":9,"shipping_query":{"id":"sq1","from":{"id":11,"is_bot":false,"first_name":"B"},"invoice_payload":"order-7","shipping_address":{"country_code":"DE","state":"","city":"Berlin","street_line1":"A","street_line2":"","post_code":"10115"}}}"#,
    );
    assert_eq!(g.flavor, Flavor::ShippingQuery);
    assert_eq!(
        g.headline,
        Headline::ShippingQuery {
            id: "sq1".into(),
            from_id: 11,
            invoice_payload: "order-7".into()
        }
    );
    let g = glance_ok(
        r#"{"update_id":10,"pre_checkout_query":{"id":"pc1","from":{"id":12,"is_bot":false,"first_name":"C"},"currency":"XTR","total_amount":250,"invoice_payload":"order-8","order_info":{"name":"C"}}}"#,
    );
    assert_eq!(g.flavor, Flavor::PreCheckoutQuery);
    assert_eq!(
        g.headline,
        Headline::PreCheckoutQuery {
            id: "pc1".into(),
            from_id: 12,
            invoice_payload: "order-8".into(),
            currency: "XTR".into(),
            total_amount: 250
        }
    );
}

#[test]
fn callback_query_from_a_game_button_has_no_data() {
    let g = glance_ok(
        r#"{"update_id":4,"callback_query":{"id":"1","from":{"id":8,"is_bot":false,"first_name":"G"},"inline_message_id":"AAA","chat_instance":"5","game_short_name":"snake"}}"#,
    );
    assert_eq!(
        g.headline,
        Headline::CallbackQuery {
            id: "1".into(),
            from_id: 8,
            data: None
        }
    );
}

fn content_of(fields: &str) -> ContentType {
    let json = format!(
        r#"{{"update_id":1,"message":{{"message_id":1,"date":1,"chat":{{"id":1,"type":"private"}}{fields}}}}}"#
    );
    match glance_ok(&json).headline {
        Headline::Chat { content_type, .. } => content_type,
        other => panic!("{other:?}"),
    }
}

#[test]
fn telepot_priority_consequences_are_kept() {
    // An animation also carries `document`; whatever the key order, it is a document.
    assert_eq!(
        content_of(r#","animation":{"file_id":"a"},"document":{"file_id":"a"}"#),
        ContentType::Document
    );
    assert_eq!(
        content_of(r#","document":{"file_id":"a"},"animation":{"file_id":"a"}"#),
        ContentType::Document
    );
    // A venue also carries `location`.
    assert_eq!(
        content_of(r#","venue":{"title":"x"},"location":{"latitude":1.5,"longitude":2}"#),
        ContentType::Location
    );
    // The deprecated `new_chat_member` beats `new_chat_members`, even when it comes later.
    assert_eq!(
        content_of(
            r#","new_chat_members":[{"id":1}],"new_chat_member":{"id":1},"new_chat_participant":{"id":1}"#
        ),
        ContentType::NewChatMember
    );
    // Caption is metadata: a captioned photo is a photo.
    assert_eq!(
        content_of(r#","caption":"c","photo":[]"#),
        ContentType::Photo
    );
}

#[test]
fn newer_and_unknown_content_types_do_not_fail() {
    assert_eq!(
        content_of(r#","dice":{"emoji":"🎲","value":3}"#),
        ContentType::Dice
    );
    assert_eq!(
        content_of(r#","animation":{"file_id":"a"}"#),
        ContentType::Animation
    );
    assert_eq!(
        content_of(r#","story":{"chat":{"id":1,"type":"channel"},"id":3}"#),
        ContentType::Story
    );
    assert_eq!(content_of(r#","poll":{"id":"p"}"#), ContentType::Poll);
    assert_eq!(
        content_of(r#","web_app_data":{"data":"d","button_text":"b"}"#),
        ContentType::WebAppData
    );
    assert_eq!(content_of(r#","hologram":{"x":1}"#), ContentType::Unknown);
    assert_eq!(content_of(""), ContentType::Unknown);
}

#[test]
fn content_type_tables_agree() {
    assert_eq!(CONTENT_FIELDS_IN_ORDER.len(), 76);
    assert_eq!(CONTENT_TYPES_IN_ORDER.len(), 76);
    assert_eq!(MESSAGE_METADATA_FIELDS.len(), 40);
    for (i, (field, content_type)) in CONTENT_FIELDS_IN_ORDER
        .iter()
        .zip(CONTENT_TYPES_IN_ORDER)
        .enumerate()
    {
        assert_eq!(content_type.as_str(), *field);
        assert_eq!(ContentType::from_field(field), Some(*content_type));
        assert_eq!(
            *content_type as usize, i,
            "variants are declared in priority order"
        );
        assert!(
            !MESSAGE_METADATA_FIELDS.contains(field),
            "{field} is in both lists"
        );
        assert_eq!(content_type_of_fields(|f| f == *field), *content_type);
    }
    assert_eq!(
        &CONTENT_FIELDS_IN_ORDER[..3],
        &["text", "audio", "document"]
    );
    assert_eq!(CONTENT_FIELDS_IN_ORDER[25], "successful_payment");
    assert_eq!(CONTENT_FIELDS_IN_ORDER[26], "rich_message");
    assert_eq!(ContentType::from_field("unknown"), None);
    assert_eq!(ContentType::from_field("reply_markup"), None);
    assert!(ContentType::Text < ContentType::Unknown);
    assert_eq!(ContentType::Unknown.to_string(), "unknown");
    // Last present field in priority order wins over none; first wins over later.
    let present = ["venue", "location", "web_app_data"];
    assert_eq!(
        content_type_of_fields(|f| present.contains(&f)),
        ContentType::Location
    );
}

#[test]
fn unknown_update_kinds_are_other() {
    let g = glance_ok(r#"{"update_id":77,"quantum_entanglement":{"spooky":[1,2,{"a":null}]}}"#);
    assert_eq!(g.kind, "quantum_entanglement");
    assert_eq!(g.flavor, Flavor::Other("quantum_entanglement".into()));
    assert_eq!(g.flavor.as_str(), "quantum_entanglement");
    assert_eq!(g.headline, Headline::Other);
    // Payload first, update_id last; a second payload field is ignored.
    let g = glance_ok(
        r#"{"purchased_paid_media":{"from":{"id":1},"paid_media_payload":"p"},"poll":{},"update_id":78}"#,
    );
    assert_eq!((g.update_id, &*g.kind), (78, "purchased_paid_media"));
    // A payload of any JSON type is fine for kinds without a glance.
    let g = glance_ok(r#"{"update_id":79,"managed_bot":null}"#);
    assert_eq!(g.headline, Headline::Other);
}

#[test]
fn flavor_names() {
    assert_eq!(flavor_of_kind("message"), Flavor::Chat);
    assert_eq!(flavor_of_kind("guest_message"), Flavor::Chat);
    assert_eq!(flavor_of_kind("callback_query"), Flavor::CallbackQuery);
    assert_eq!(
        flavor_of_kind("chosen_inline_result"),
        Flavor::ChosenInlineResult
    );
    assert_eq!(flavor_of_kind("shipping_query"), Flavor::ShippingQuery);
    assert_eq!(
        flavor_of_kind("pre_checkout_query"),
        Flavor::PreCheckoutQuery
    );
    assert_eq!(
        flavor_of_kind("business_connection"),
        Flavor::Other("business_connection".into())
    );
    for (flavor, name) in [
        (Flavor::Chat, "chat"),
        (Flavor::CallbackQuery, "callback_query"),
        (Flavor::InlineQuery, "inline_query"),
        (Flavor::ChosenInlineResult, "chosen_inline_result"),
        (Flavor::ShippingQuery, "shipping_query"),
        (Flavor::PreCheckoutQuery, "pre_checkout_query"),
    ] {
        assert_eq!(flavor.as_str(), name);
        assert_eq!(flavor.to_string(), name);
    }
}

fn err(json: &str) -> GlanceError {
    match glance(json.as_bytes()) {
        Ok(g) => panic!("expected an error for {json}, got {g:?}"),
        Err(e) => e,
    }
}

fn missing_field(json: &str) -> &'static str {
    match err(json) {
        GlanceError::MissingField { field, .. } => field,
        other => panic!("expected MissingField for {json}, got {other:?}"),
    }
}

#[test]
fn malformed_updates_are_errors() {
    assert!(matches!(err(""), GlanceError::Json(_)));
    // Invalid UTF-8, even inside a string that is only skipped.
    let mut bytes = sample("message.photo").as_bytes().to_vec();
    let at = bytes.windows(4).position(|w| w == b"look").unwrap();
    bytes[at] = 0xff;
    assert!(matches!(glance(&bytes), Err(GlanceError::Utf8(_))));
    assert!(matches!(err("[]"), GlanceError::Json(_)));
    assert!(matches!(err("null"), GlanceError::Json(_)));
    assert!(matches!(err("{} trailing"), GlanceError::Json(_)));
    assert!(matches!(
        err(r#"{"message":{}}"#),
        GlanceError::MissingUpdateId
    ));
    assert!(matches!(
        err(r#"{"update_id":5}"#),
        GlanceError::NoPayload { update_id: 5 }
    ));
    assert!(matches!(
        err(r#"{"update_id":"5","poll":{}}"#),
        GlanceError::Json(_)
    ));
    assert!(matches!(
        err(r#"{"update_id":1e3,"poll":{}}"#),
        GlanceError::Json(_)
    ));
    assert!(matches!(
        err(r#"{"update_id":99999999999999999999999,"poll":{}}"#),
        GlanceError::Json(_)
    ));
    assert!(matches!(
        err(r#"{"update_id":1,"message":null}"#),
        GlanceError::Json(_)
    ));
    assert!(matches!(
        err(r#"{"update_id":1,"message":{"message_id":"7"}}"#),
        GlanceError::Json(_)
    ));
    assert!(matches!(
        err(r#"{"update_id":1,"message":{"chat":5}}"#),
        GlanceError::Json(_)
    ));
    assert!(matches!(
        err(r#"{"update_id":1,"message":{"chat":{"id":1.5}}}"#),
        GlanceError::Json(_)
    ));
    assert!(matches!(
        err(r#"{"update_id":1,"callback_query":{"id":7}}"#),
        GlanceError::Json(_)
    ));

    let base = r#""date":1,"chat":{"id":1,"type":"private"}"#;
    assert_eq!(
        missing_field(&format!(r#"{{"update_id":1,"message":{{{base}}}}}"#)),
        "message_id"
    );
    assert_eq!(
        missing_field(r#"{"update_id":1,"message":{"message_id":1,"date":1}}"#),
        "chat"
    );
    assert_eq!(
        missing_field(
            r#"{"update_id":1,"message":{"message_id":1,"date":1,"chat":{"type":"group"}}}"#
        ),
        "chat.id"
    );
    assert_eq!(
        missing_field(r#"{"update_id":1,"message":{"message_id":1,"date":1,"chat":{"id":1}}}"#),
        "chat.type"
    );
    assert_eq!(
        missing_field(
            r#"{"update_id":1,"message":{"message_id":1,"chat":{"id":1,"type":"group"}}}"#
        ),
        "date"
    );
    assert_eq!(
        missing_field(r#"{"update_id":1,"callback_query":{"from":{"id":1}}}"#),
        "id"
    );
    assert_eq!(
        missing_field(r#"{"update_id":1,"callback_query":{"id":"1"}}"#),
        "from.id"
    );
    assert_eq!(
        missing_field(r#"{"update_id":1,"callback_query":{"id":"1","from":{}}}"#),
        "from.id"
    );
    assert_eq!(
        missing_field(r#"{"update_id":1,"inline_query":{"id":"1","from":{"id":1},"query":""}}"#),
        "offset"
    );
    assert_eq!(
        missing_field(r#"{"update_id":1,"chosen_inline_result":{"from":{"id":1},"query":""}}"#),
        "result_id"
    );
    assert_eq!(
        missing_field(r#"{"update_id":1,"shipping_query":{"id":"1","from":{"id":1}}}"#),
        "invoice_payload"
    );
    assert_eq!(
        missing_field(
            r#"{"update_id":1,"pre_checkout_query":{"id":"1","from":{"id":1},"invoice_payload":"p","currency":"EUR"}}"#
        ),
        "total_amount"
    );
    match err(r#"{"update_id":42,"channel_post":{"date":1}}"#) {
        e @ GlanceError::MissingField { .. } => {
            assert_eq!(
                e.to_string(),
                "update 42: `channel_post` has no `message_id`"
            );
            assert!(
                matches!(e, GlanceError::MissingField { update_id: 42, ref kind, .. } if kind == "channel_post")
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn truncated_and_mutated_inputs_never_panic() {
    for (name, json) in SAMPLES {
        let bytes = json.as_bytes();
        for end in 0..bytes.len() {
            assert!(
                glance(&bytes[..end]).is_err(),
                "{name}: prefix of {end} bytes accepted"
            );
        }
        // Every single-byte substitution with a structural or troublesome byte.
        for i in 0..bytes.len() {
            for b in [b'{', b'}', b'"', b'\\', b',', b':', b'0', 0xff, 0x00] {
                let mut mutated = bytes.to_vec();
                mutated[i] = b;
                let _ = glance(&mutated);
            }
        }
    }
}

#[test]
fn deep_nesting_hits_the_recursion_limit_instead_of_the_stack() {
    for open in ["[", "{\"a\":"] {
        let json = format!(r#"{{"update_id":1,"poll":{}"#, open.repeat(100_000));
        assert!(matches!(glance(json.as_bytes()), Err(GlanceError::Json(_))));
        let json = format!(
            r#"{{"update_id":1,"message":{{"reply_to_message":{}"#,
            open.repeat(100_000)
        );
        assert!(matches!(glance(json.as_bytes()), Err(GlanceError::Json(_))));
    }
    // Moderate nesting inside skipped fields is fine.
    let json = format!(
        r#"{{"update_id":1,"poll":{}1{}}}"#,
        "[".repeat(100),
        "]".repeat(100)
    );
    assert!(glance(json.as_bytes()).is_ok());
}

/// The kind of the JSON error for `json`, which must be one.
fn json_error(json: &str) -> JsonErrorKind {
    match err(json) {
        GlanceError::Json(e) => e.kind(),
        other => panic!("expected a JSON error for {json}, got {other:?}"),
    }
}

fn message_with(update_id: &str, chat_id: &str) -> String {
    format!(
        r#"{{"update_id":{update_id},"message":{{"message_id":1,"date":2,"chat":{{"id":{chat_id},"type":"group"}}}}}}"#
    )
}

#[test]
fn integers_are_exact_and_never_wrap() {
    for (text, value) in [
        ("0", 0),
        ("-1", -1),
        ("9223372036854775807", i64::MAX),
        ("-9223372036854775808", i64::MIN),
        ("1781515493", 1_781_515_493),
        ("-1002083661906", -1_002_083_661_906),
        ("1234567890123456789", 1_234_567_890_123_456_789),
    ] {
        let json = message_with(text, text);
        let g = glance_ok(&json);
        assert_eq!(g.update_id, value, "{text}");
        assert_eq!(g.headline, chat(ContentType::Unknown, "group", value, 2, 1));
    }
    let not_an_integer = JsonErrorKind::WrongType {
        field: "chat.id",
        expected: "an integer in the i64 range",
    };
    for text in [
        "9223372036854775808",
        "-9223372036854775809",
        "18446744073709551616",
        "99999999999999999999999",
        "-0",
        "1.0",
        "1e3",
        "1E3",
        "0.5",
        "\"1\"",
        "null",
        "true",
        "[1]",
        "{}",
    ] {
        assert_eq!(
            json_error(&message_with("1", text)),
            not_an_integer,
            "{text}"
        );
        assert!(matches!(
            json_error(&message_with(text, "1")),
            JsonErrorKind::WrongType {
                field: "update_id",
                ..
            }
        ));
    }
    // Malformed numbers are syntax errors, wherever they are.
    for text in [
        "01", "-", "1.", ".5", "+1", "1e", "1e+", "0x1", "--1", "1.e3",
    ] {
        let kind = json_error(&message_with("1", text));
        assert!(
            matches!(
                kind,
                JsonErrorKind::InvalidNumber
                    | JsonErrorKind::ExpectedValue
                    | JsonErrorKind::ExpectedCommaOrClose
            ),
            "{text}: {kind:?}"
        );
        let skipped = format!(r#"{{"update_id":1,"poll":{{"x":{text}}}}}"#);
        assert!(matches!(err(&skipped), GlanceError::Json(_)), "{text}");
    }
}

#[test]
fn numbers_too_large_for_an_f64_are_rejected_even_when_skipped() {
    for text in [
        "1e309",
        "-1e400",
        "1.5E+999",
        &format!("1{}", "0".repeat(309)),
    ] {
        let json = format!(r#"{{"update_id":1,"poll":{{"x":[{text}]}}}}"#);
        assert_eq!(json_error(&json), JsonErrorKind::NumberOutOfRange, "{text}");
        assert!(serde_json::from_str::<serde_json::Value>(&json).is_err());
    }
    for text in [
        "1e308",
        "-1.7976931348623157e308",
        "1e-400",
        "0e999999999999999999999",
        &format!("1{}", "0".repeat(300)),
    ] {
        let json = format!(r#"{{"update_id":1,"poll":{{"x":[{text}]}}}}"#);
        assert!(glance(json.as_bytes()).is_ok(), "{text}");
        assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok());
    }
}

#[test]
fn escapes_are_decoded_and_checked_everywhere() {
    let with_type = |chat_type: &str| {
        format!(
            r#"{{"update_id":1,"message":{{"message_id":1,"date":2,"chat":{{"id":3,"type":"{chat_type}"}}}}}}"#
        )
    };
    for (escaped, decoded) in [
        (r"priv\u0061te", "private"),
        (r"\ud83d\ude00 \uD83D\uDE00", "😀 😀"),
        (r#"\"\\\/\b\f\n\r\t"#, "\"\\/\u{8}\u{c}\n\r\t"),
        (r"caf\u00e9", "café"),
        (r"\u0000", "\u{0}"),
        ("raw é and \u{7f}", "raw é and \u{7f}"),
    ] {
        let json = with_type(escaped);
        match glance_ok(&json).headline {
            Headline::Chat { chat_type, .. } => {
                assert_eq!(chat_type, decoded);
                assert_eq!(
                    matches!(chat_type, Cow::Borrowed(_)),
                    !escaped.contains('\\')
                );
            }
            other => panic!("{other:?}"),
        }
    }
    // Bad escapes and raw control characters fail in read and in skipped strings alike.
    for (bad, kind) in [
        (r"\ud800", JsonErrorKind::LoneSurrogate),
        (r"\udc00", JsonErrorKind::LoneSurrogate),
        (r"\ud800\u0041", JsonErrorKind::LoneSurrogate),
        (r"\ud800\n", JsonErrorKind::LoneSurrogate),
        (r"\ud800x", JsonErrorKind::LoneSurrogate),
        (r"\udbff\udbff", JsonErrorKind::LoneSurrogate),
        (r"\x41", JsonErrorKind::InvalidEscape),
        (r"\U0041", JsonErrorKind::InvalidEscape),
        (r"\u12g4", JsonErrorKind::InvalidUnicodeEscape),
        (r"\u12", JsonErrorKind::InvalidUnicodeEscape),
        ("tab\there", JsonErrorKind::ControlCharacter),
        ("nul\u{0}", JsonErrorKind::ControlCharacter),
        ("\u{1f}", JsonErrorKind::ControlCharacter),
    ] {
        assert_eq!(json_error(&with_type(bad)), kind, "{bad:?}");
        let skipped = format!(r#"{{"update_id":1,"poll":{{"question":"q{bad}","x":1}}}}"#);
        assert_eq!(json_error(&skipped), kind, "{bad:?} skipped");
        let as_key = format!(r#"{{"update_id":1,"poll":{{"q{bad}":1}}}}"#);
        assert_eq!(json_error(&as_key), kind, "{bad:?} in a key");
        assert!(serde_json::from_str::<serde_json::Value>(&skipped).is_err());
    }
    // Truncated inside an escape.
    for cut in [
        r#"{"update_id":1,"poll":"\"#,
        r#"{"update_id":1,"poll":"\u12"#,
        r#"{"update_id":1,"poll":"\ud83d"#,
        r#"{"update_id":1,"poll":"\ud83d\"#,
    ] {
        assert_eq!(json_error(cut), JsonErrorKind::UnexpectedEnd, "{cut}");
    }
}

#[test]
fn escaped_keys_are_recognised() {
    let g = glance_ok(
        r#"{"update\u005fid":5,"m\u0065ssage":{"message\u005Fid":1,"\u0064ate":2,"\u0063hat":{"\u0069d":3,"typ\u0065":"private"},"\u0074ext":"hi"}}"#,
    );
    assert_eq!(g.update_id, 5);
    assert_eq!(g.kind, "message");
    assert!(matches!(g.kind, Cow::Owned(_)));
    assert_eq!(g.flavor, Flavor::Chat);
    assert_eq!(g.headline, chat(ContentType::Text, "private", 3, 2, 1));
    // A long escaped key matches nothing it should not.
    let long = format!(r#""\u0074ext{}""#, "x".repeat(100));
    let json = format!(
        r#"{{"update_id":1,"message":{{"message_id":1,"date":2,"chat":{{"id":3,"type":"private"}},{long}:1}}}}"#
    );
    assert_eq!(
        glance_ok(&json).headline,
        chat(ContentType::Unknown, "private", 3, 2, 1)
    );
}

#[test]
fn repeated_keys_the_last_wins_but_the_payload_is_the_first() {
    let g = glance_ok(
        r#"{"update_id":"x","update_id":7,"message":{"message_id":"1","chat":5,"message_id":1,"date":2,"chat":{"id":3,"id":4,"type":9,"type":"group"}}}"#,
    );
    assert_eq!(g.update_id, 7);
    assert_eq!(g.headline, chat(ContentType::Unknown, "group", 4, 2, 1));
    // A later `chat` replaces the whole earlier one.
    assert_eq!(
        missing_field(
            r#"{"update_id":1,"message":{"message_id":1,"date":2,"chat":{"id":3,"type":"group"},"chat":{"id":3}}}"#
        ),
        "chat.type"
    );
    // A wrong type that comes last is an error.
    assert!(matches!(
        json_error(r#"{"update_id":1,"update_id":"2","poll":{}}"#),
        JsonErrorKind::WrongType {
            field: "update_id",
            ..
        }
    ));
    // The first payload field is the payload; later ones, even of the same name, are only
    // checked.
    let g = glance_ok(
        r#"{"update_id":1,"callback_query":{"id":"a","from":{"id":2},"from":{"id":3}},"callback_query":5,"message":null}"#,
    );
    assert_eq!(g.kind, "callback_query");
    assert_eq!(
        g.headline,
        Headline::CallbackQuery {
            id: "a".into(),
            from_id: 3,
            data: None
        }
    );
    assert!(matches!(
        err(r#"{"update_id":1,"poll":{},"message":{"bad":tru}}"#),
        GlanceError::Json(_)
    ));
}

#[test]
fn null_is_a_wrong_type_except_for_callback_data() {
    let g = glance_ok(r#"{"update_id":1,"callback_query":{"id":"a","from":{"id":2},"data":null}}"#);
    assert_eq!(
        g.headline,
        Headline::CallbackQuery {
            id: "a".into(),
            from_id: 2,
            data: None
        }
    );
    for json in [
        r#"{"update_id":null,"poll":{}}"#,
        r#"{"update_id":1,"message":null}"#,
        r#"{"update_id":1,"message":{"message_id":null}}"#,
        r#"{"update_id":1,"message":{"chat":{"id":null}}}"#,
        r#"{"update_id":1,"message":{"chat":{"type":null}}}"#,
        r#"{"update_id":1,"callback_query":{"id":null}}"#,
        r#"{"update_id":1,"callback_query":{"from":null}}"#,
        r#"{"update_id":1,"callback_query":{"from":{"id":null}}}"#,
        r#"{"update_id":1,"inline_query":{"query":null}}"#,
        r#"{"update_id":1,"pre_checkout_query":{"total_amount":null}}"#,
    ] {
        assert!(
            matches!(json_error(json), JsonErrorKind::WrongType { .. }),
            "{json}"
        );
    }
    // Arrays are not objects (serde's derived structs used to accept them as sequences).
    assert!(matches!(
        json_error(r#"{"update_id":1,"message":{"message_id":1,"date":2,"chat":[1,"private"]}}"#),
        JsonErrorKind::WrongType { field: "chat", .. }
    ));
    assert!(matches!(
        json_error(r#"{"update_id":1,"callback_query":["1",{"id":2}]}"#),
        JsonErrorKind::WrongType {
            field: "callback_query",
            ..
        }
    ));
}

#[test]
fn the_depth_limit_is_serde_json_s() {
    // The update object is the first level; 127 levels are allowed, 128 are not.
    for depth in 120..=130 {
        for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
            let json = format!(
                r#"{{"update_id":1,"poll":{}0{}}}"#,
                open.repeat(depth - 1),
                close.repeat(depth - 1)
            );
            let serde_accepts = serde_json::from_str::<serde_json::Value>(&json).is_ok();
            assert_eq!(serde_accepts, depth <= 127, "{depth}");
            match glance(json.as_bytes()) {
                Ok(_) => assert!(serde_accepts, "{depth}"),
                Err(GlanceError::Json(e)) => {
                    assert!(!serde_accepts, "{depth}: {e}");
                    assert_eq!(e.kind(), JsonErrorKind::RecursionLimitExceeded);
                }
                Err(other) => panic!("{other:?}"),
            }
        }
    }
    // Nesting counts through the objects the glance reads, too.
    let json = format!(
        r#"{{"update_id":1,"message":{{"message_id":1,"date":2,"chat":{{"id":3,"type":"x","deep":{}0{}}}}}}}"#,
        "[".repeat(124),
        "]".repeat(124)
    );
    assert!(glance(json.as_bytes()).is_ok());
    let json = json.replacen("[", "[[", 1).replacen("]", "]]", 1);
    assert_eq!(json_error(&json), JsonErrorKind::RecursionLimitExceeded);
}

#[test]
fn errors_say_where_and_what() {
    let json =
        r#"{"update_id":1,"message":{"message_id":1,"date":2,"chat":{"id":"3","type":"x"}}}"#;
    match err(json) {
        GlanceError::Json(e) => {
            assert_eq!(e.offset(), json.find("\"3\"").unwrap());
            assert_eq!(
                e.to_string(),
                format!(
                    "`chat.id` is not an integer in the i64 range at byte {}",
                    e.offset()
                )
            );
            assert_eq!(
                GlanceError::Json(e.clone()).to_string(),
                format!("update is not valid JSON of the expected shape: {e}")
            );
        }
        other => panic!("{other:?}"),
    }
    let cases: &[(&str, JsonErrorKind, usize)] = &[
        (r#"{"update_id":1"#, JsonErrorKind::UnexpectedEnd, 14),
        (r#"{"update_id":1}}"#, JsonErrorKind::TrailingCharacters, 15),
        (r#"{"update_id":1,}"#, JsonErrorKind::ExpectedKey, 15),
        (r#"{"update_id" 1}"#, JsonErrorKind::ExpectedColon, 13),
        (
            r#"{"update_id":1 "poll":{}}"#,
            JsonErrorKind::ExpectedCommaOrClose,
            15,
        ),
        (
            r#"{"update_id":1,"poll":[}"#,
            JsonErrorKind::ExpectedValue,
            23,
        ),
        (
            r#"{"update_id":1,"poll":[1}"#,
            JsonErrorKind::ExpectedCommaOrClose,
            24,
        ),
        (
            r#"{"update_id":1,"poll":nul}"#,
            JsonErrorKind::ExpectedValue,
            22,
        ),
        (
            r#"{"update_id":1,"poll":"a\qb"}"#,
            JsonErrorKind::InvalidEscape,
            24,
        ),
        (
            r#"{"update_id":1,"poll":1e999}"#,
            JsonErrorKind::NumberOutOfRange,
            22,
        ),
        (
            "[1]",
            JsonErrorKind::WrongType {
                field: "update",
                expected: "an object",
            },
            0,
        ),
    ];
    for (json, kind, offset) in cases {
        match err(json) {
            GlanceError::Json(e) => {
                assert_eq!((e.kind(), e.offset()), (*kind, *offset), "{json}");
                assert!(e.to_string().ends_with(&format!(" at byte {offset}")));
            }
            other => panic!("{json}: {other:?}"),
        }
    }
}

#[test]
fn whitespace_is_allowed_between_tokens_only() {
    let g = glance_ok(
        " \t\r\n{ \"update_id\" :\n1 ,\t\"message\" : { \"message_id\" : 2 , \"chat\" : { \"id\" : -3 , \"type\" : \"group\" } , \"date\" : 4 , \"text\" : \"x\" } }\n ",
    );
    assert_eq!(g.headline, chat(ContentType::Text, "group", -3, 4, 2));
    assert!(matches!(
        err("{\"update_id\":1 2,\"poll\":{}}"),
        GlanceError::Json(_)
    ));
    assert!(matches!(
        err("{\"update_id\":- 1,\"poll\":{}}"),
        GlanceError::Json(_)
    ));
    assert!(matches!(
        err("{\"update_id\":1,\"poll\":t rue}"),
        GlanceError::Json(_)
    ));
    assert!(matches!(
        err("\u{a0}{\"update_id\":1,\"poll\":{}}"),
        GlanceError::Json(_)
    ));
}

fn spec() -> serde_json::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/spec/telegram/api.json");
    let text = std::fs::read_to_string(path).expect("read spec/telegram/api.json");
    serde_json::from_str(&text).expect("parse api.json")
}

fn field_names(spec: &serde_json::Value, type_name: &str) -> Vec<(String, String)> {
    spec["types"][type_name]["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("type {type_name} has no fields"))
        .iter()
        .map(|f| {
            let name = f["name"].as_str().expect("field name").to_owned();
            let types = f["types"].as_array().map(|t| {
                t.iter()
                    .filter_map(|t| t.as_str())
                    .collect::<Vec<_>>()
                    .join("|")
            });
            (name, types.unwrap_or_default())
        })
        .collect()
}

/// When `api.json` is refreshed and `Message` gains a field, this fails until the field is
/// classified as content or metadata on purpose.
#[test]
fn spec_drift_every_message_field_is_classified() {
    let spec = spec();
    let fields: Vec<String> = field_names(&spec, "Message")
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    let unclassified: Vec<&String> = fields
        .iter()
        .filter(|f| {
            !CONTENT_FIELDS_IN_ORDER.contains(&f.as_str())
                && !MESSAGE_METADATA_FIELDS.contains(&f.as_str())
        })
        .collect();
    assert!(
        unclassified.is_empty(),
        "Message fields in none of the lists: {unclassified:?}"
    );
    // And no list names a field the spec no longer has, except the deprecated new_chat_member.
    let stale: Vec<&&str> = CONTENT_FIELDS_IN_ORDER
        .iter()
        .chain(MESSAGE_METADATA_FIELDS)
        .filter(|f| **f != "new_chat_member" && !fields.iter().any(|s| s == *f))
        .collect();
    assert!(
        stale.is_empty(),
        "listed fields missing from the spec: {stale:?}"
    );
    assert!(!fields.iter().any(|f| f == "new_chat_member"));
    assert_eq!(fields.len(), 115);
    assert_eq!(
        CONTENT_FIELDS_IN_ORDER.len() - 1 + MESSAGE_METADATA_FIELDS.len(),
        115
    );
    // The newer content fields follow the spec's Message field order, as does the metadata list.
    let order = |list: &[&str]| -> Vec<usize> {
        list.iter()
            .filter_map(|f| fields.iter().position(|s| s == f))
            .collect()
    };
    let newer = order(&CONTENT_FIELDS_IN_ORDER[26..]);
    assert!(
        newer.windows(2).all(|w| w[0] < w[1]),
        "newer content fields out of spec order"
    );
    let metadata = order(MESSAGE_METADATA_FIELDS);
    assert!(
        metadata.windows(2).all(|w| w[0] < w[1]),
        "metadata fields out of spec order"
    );
}

/// Every `Update` field of the spec gets the flavor its payload type implies.
#[test]
fn spec_drift_update_kinds_have_the_right_flavor() {
    let spec = spec();
    let fields = field_names(&spec, "Update");
    assert_eq!(fields[0].0, "update_id");
    for (name, types) in &fields[1..] {
        let expected = match types.as_str() {
            "Message" => Flavor::Chat,
            "CallbackQuery" => Flavor::CallbackQuery,
            "InlineQuery" => Flavor::InlineQuery,
            "ChosenInlineResult" => Flavor::ChosenInlineResult,
            "ShippingQuery" => Flavor::ShippingQuery,
            "PreCheckoutQuery" => Flavor::PreCheckoutQuery,
            _ => Flavor::Other(name.clone()),
        };
        assert_eq!(flavor_of_kind(name), expected, "Update.{name}: {types}");
    }
    let message_kinds: Vec<&str> = fields
        .iter()
        .filter(|(_, t)| t == "Message")
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(message_kinds, CHAT_KINDS);
}
