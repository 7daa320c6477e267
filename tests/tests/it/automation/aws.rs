//! The AWS adapters against real protocols (moto on 127.0.0.1): e-mail through SES v2 read back
//! from moto, every rule's pattern from the template delivering exactly its events to SQS, the
//! relay fed by the table's DynamoDB Stream, the reports bucket.

use super::*;
use hospital_adapters::eventbridge::EventBridgeBus;
use hospital_adapters::files::S3Files;
use hospital_adapters::mail::SesMailer;
use hospital_core::automation::notify::{Attachment, Email, Files, Mailer};
use hospital_core::automation::relay::EventBus;
use hospital_core::events::DomainEvent;
use hospital_testkit::MotoServer;

/// The functions' own configuration (what Lambda's environment gives), pointed at moto.
async fn sdk(moto: &MotoServer) -> aws_config::SdkConfig {
    hospital_testkit::aws_test_env();
    hospital_adapters::aws::lambda_config(Some(moto.endpoint())).expect("the Lambda SDK config")
}

/// What moto says SES sent, as its data dump has it.
async fn sent(moto: &MotoServer) -> Value {
    let data: Value = reqwest::get(format!("{}/moto-api/data.json", moto.endpoint()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    data["ses"].clone()
}

#[tokio::test]
async fn automation_ses_sends_simple_and_raw_mail() {
    let moto = MotoServer::start().await;
    let sdk = sdk(&moto).await;
    let client = aws_sdk_sesv2::Client::new(&sdk);
    client
        .create_email_identity()
        .email_identity("no-reply@hospital.example")
        .send()
        .await
        .unwrap();
    let mailer = SesMailer::new(client, "Hospital <no-reply@hospital.example>", None);
    let settings = hospital_core::automation::Settings {
        hospital_name: "Hospital Santa Clara".into(),
        ..Default::default()
    };
    let (subject, text, html) = hospital_core::automation::notify::render(
        "bed_released",
        &json!({"bed_code": "UTI-07", "sector_name": "UTI Adulto", "released_at": "02/03/2026 10:00"}),
        &settings,
    )
    .unwrap();
    let email = Email {
        to: vec!["alertas@hospital.example".into()],
        subject: subject.clone(),
        text,
        html,
        attachments: Vec::new(),
    };
    let id = mailer.send(&email).await.unwrap();
    assert!(!id.is_empty());
    // With an attachment: raw MIME.
    let mut with_file = email.clone();
    with_file.subject = "Relatório diário de 01/03/2026".into();
    with_file.attachments.push(Attachment {
        filename: "relatorio-2026-03-01.csv".into(),
        content_type: "text/csv".into(),
        bytes: b"indicador;valor\nocupacao;87,5\n".to_vec(),
    });
    mailer.send(&with_file).await.unwrap();

    let ses = sent(&moto).await;
    let simple = ses["Message"].as_array().cloned().unwrap_or_default();
    let raw = ses["RawMessage"].as_array().cloned().unwrap_or_default();
    assert_eq!((simple.len(), raw.len()), (1, 1), "{ses}");
    let m = &simple[0];
    assert_eq!(
        m["destinations"]["ToAddresses"][0], "alertas@hospital.example",
        "{m}"
    );
    assert_eq!(m["subject"], subject, "{m}");
    let body = m["body"].to_string();
    assert!(
        body.contains("está disponível") || body.contains("est\\u00e1 dispon\\u00edvel"),
        "{m}"
    );
    let mime = raw[0]["raw_data"].as_str().unwrap_or_default();
    let parsed = Mail::parse(mime.as_bytes());
    assert_eq!(parsed.to, "alertas@hospital.example");
    assert_eq!(parsed.subject, "Relatório diário de 01/03/2026");
    assert_eq!(parsed.attachments, ["relatorio-2026-03-01.csv"]);
    assert!(
        parsed.says("O leito UTI-07 do setor UTI Adulto está disponível"),
        "{parsed:?}"
    );
}

/// The rules the template declares: (function, source, detail types).
fn template_rules() -> Vec<(String, String, Vec<String>)> {
    crate::template::template_rules()
        .into_iter()
        .map(|r| (r.function, r.source, r.detail_types))
        .collect()
}

#[tokio::test]
async fn automation_every_rule_of_the_template_delivers_its_events_and_no_others() {
    let moto = MotoServer::start().await;
    let sdk = sdk(&moto).await;
    let events = aws_sdk_eventbridge::Client::new(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    events
        .create_event_bus()
        .name("hospital-events")
        .send()
        .await
        .unwrap();
    let rules = template_rules();
    assert_eq!(
        rules.len(),
        hospital_core::automation::catalogue::CONSUMERS.len()
    );
    let mut queues = Vec::new();
    for (function, source, types) in &rules {
        let url = sqs
            .create_queue()
            .queue_name(function)
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        let arn = sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
            .clone();
        // The pattern exactly as the template writes it.
        let pattern = json!({"source": [source], "detail-type": types});
        events
            .put_rule()
            .name(function)
            .event_bus_name("hospital-events")
            .event_pattern(pattern.to_string())
            .send()
            .await
            .unwrap();
        events
            .put_targets()
            .rule(function)
            .event_bus_name("hospital-events")
            .targets(
                aws_sdk_eventbridge::types::Target::builder()
                    .id("q")
                    .arn(arn)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        queues.push((function.clone(), url));
    }
    // One event of each kind consumers react to, and one nobody does.
    let now = chrono::Utc::now();
    let mut published = Vec::new();
    for (_, source, types) in &rules {
        for t in types {
            published.push(DomainEvent::new(source, t, now, json!({"x": 1})));
        }
    }
    published.push(DomainEvent::new(
        "hospital.appointments",
        "AppointmentBooked",
        now,
        json!({}),
    ));
    let bus = EventBridgeBus::new(events.clone(), "hospital-events");
    let results = bus.publish(&published).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    for ((function, source, types), (_, url)) in rules.iter().zip(&queues) {
        let mut got = Vec::new();
        for _ in 0..3 {
            let out = sqs
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(10)
                .send()
                .await
                .unwrap();
            for m in out.messages.unwrap_or_default() {
                let body: Value = serde_json::from_str(m.body().unwrap()).unwrap();
                got.push((
                    body["source"].as_str().unwrap().to_string(),
                    body["detail-type"].as_str().unwrap().to_string(),
                    body["detail"]["event_id"].as_str().unwrap().to_string(),
                ));
            }
        }
        let wanted: Vec<(String, String, String)> = published
            .iter()
            .filter(|e| &e.source == source && types.contains(&e.detail_type))
            .map(|e| (e.source.clone(), e.detail_type.clone(), e.event_id.clone()))
            .collect();
        assert_eq!(got, wanted, "{function}");
        // The consumer reads back the event it was sent.
        for (s, t, _) in &got {
            assert!(s == source && types.contains(t));
        }
    }
}

/// A stream record as the Lambda event shows it, from the streams API's.
fn lambda_image(
    av: &std::collections::HashMap<String, aws_sdk_dynamodbstreams::types::AttributeValue>,
) -> Value {
    use aws_sdk_dynamodbstreams::types::AttributeValue as A;
    fn one(v: &A) -> Value {
        match v {
            A::S(s) => json!({"S": s}),
            A::N(n) => json!({"N": n}),
            A::Bool(b) => json!({"BOOL": b}),
            A::Null(_) => json!({"NULL": true}),
            A::M(m) => {
                json!({"M": m.iter().map(|(k, v)| (k.clone(), one(v))).collect::<serde_json::Map<_, _>>()})
            }
            A::L(l) => json!({"L": l.iter().map(one).collect::<Vec<_>>()}),
            other => panic!("unexpected attribute {other:?}"),
        }
    }
    Value::Object(av.iter().map(|(k, v)| (k.clone(), one(v))).collect())
}

#[tokio::test]
async fn automation_the_relay_publishes_what_the_stream_says_once() {
    let moto = MotoServer::start().await;
    let sdk = sdk(&moto).await;
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    let store = hospital_adapters::DynamoStore::new(ddb.clone(), "relay");
    store.ensure_table().await.unwrap();
    ddb.update_table()
        .table_name("relay")
        .stream_specification(
            aws_sdk_dynamodb::types::StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(aws_sdk_dynamodb::types::StreamViewType::NewImage)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let stream_arn = ddb
        .describe_table()
        .table_name("relay")
        .send()
        .await
        .unwrap()
        .table
        .unwrap()
        .latest_stream_arn
        .unwrap();
    let mut deps = crate::lambda_events::memory_deps();
    deps.store = std::sync::Arc::new(store);
    // A committed change with its event.
    let mut tx = deps.tx();
    tx.event(DomainEvent::new(
        "hospital.beds",
        "BedReleased",
        tx.now(),
        json!({"bed_id": "b1", "sector_id": "s1"}),
    ));
    tx.commit(deps.store.as_ref()).await.unwrap();

    // The stream's records, as Lambda would hand them to the relay.
    let streams = aws_sdk_dynamodbstreams::Client::new(&sdk);
    let shard = streams
        .describe_stream()
        .stream_arn(&stream_arn)
        .send()
        .await
        .unwrap()
        .stream_description
        .unwrap()
        .shards
        .unwrap()[0]
        .shard_id
        .clone()
        .unwrap();
    let iterator = streams
        .get_shard_iterator()
        .stream_arn(&stream_arn)
        .shard_id(shard)
        .shard_iterator_type(aws_sdk_dynamodbstreams::types::ShardIteratorType::TrimHorizon)
        .send()
        .await
        .unwrap()
        .shard_iterator
        .unwrap();
    let records = streams
        .get_records()
        .shard_iterator(iterator)
        .send()
        .await
        .unwrap()
        .records
        .unwrap();
    let batch: Vec<Value> = records
        .iter()
        .map(|r| {
            let d = r.dynamodb.as_ref().unwrap();
            json!({
                "eventID": r.event_id, "eventName": r.event_name.as_ref().unwrap().as_str(),
                "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
                "dynamodb": {
                    "Keys": lambda_image(d.keys.as_ref().unwrap()),
                    "NewImage": lambda_image(d.new_image.as_ref().unwrap()),
                    "SequenceNumber": d.sequence_number,
                    "SizeBytes": d.size_bytes.unwrap_or(0),
                    "StreamViewType": "NEW_IMAGE",
                },
            })
        })
        .collect();
    assert_eq!(batch.len(), 1, "one INSERT: {batch:?}");
    let event: aws_lambda_events::dynamodb::Event =
        serde_json::from_value(json!({"Records": batch})).unwrap();

    // The bus is down: the relay says which records to retry, and they stay pending.
    let broken = hospital_core::automation::Ctx {
        bus: std::sync::Arc::new(EventBridgeBus::new(
            aws_sdk_eventbridge::Client::new(&sdk),
            "no-such-bus",
        )),
        ..ctx_over(deps.clone(), &sdk)
    };
    let out = hospital_functions::relay_records(&broken, event.clone())
        .await
        .unwrap();
    assert_eq!(
        out["batchItemFailures"].as_array().unwrap().len(),
        1,
        "{out}"
    );
    assert_eq!(
        hospital_core::automation::relay::pending(&deps, chrono::Duration::zero(), 10)
            .await
            .unwrap()
            .len(),
        1
    );
    // The retried batch with the bus up: published, no longer pending.
    let events = aws_sdk_eventbridge::Client::new(&sdk);
    events
        .create_event_bus()
        .name("hospital-events")
        .send()
        .await
        .unwrap();
    let working = hospital_core::automation::Ctx {
        bus: std::sync::Arc::new(EventBridgeBus::new(events, "hospital-events")),
        ..ctx_over(deps.clone(), &sdk)
    };
    let out = hospital_functions::relay_records(&working, event)
        .await
        .unwrap();
    assert_eq!(out["batchItemFailures"], json!([]), "{out}");
    assert!(
        hospital_core::automation::relay::pending(&deps, chrono::Duration::zero(), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

fn ctx_over(
    deps: hospital_core::resource::Deps,
    sdk: &aws_config::SdkConfig,
) -> hospital_core::automation::Ctx {
    hospital_core::automation::Ctx {
        deps,
        settings: Default::default(),
        mailer: std::sync::Arc::new(SesMailer::new(
            aws_sdk_sesv2::Client::new(sdk),
            "x@y.z",
            None,
        )),
        reports: std::sync::Arc::new(S3Files::new(sdk, "reports").unwrap()),
        bus: std::sync::Arc::new(EventBridgeBus::new(
            aws_sdk_eventbridge::Client::new(sdk),
            "default",
        )),
        render: std::sync::Arc::new(hospital_report::Renderer),
    }
}

/// The stack's own S3 client (SigV4 over hyper) against a moto that checks signatures: what it
/// writes, the SDK's S3 client reads back byte for byte, with its content type.
#[tokio::test]
async fn automation_reports_bucket_keeps_files() {
    let moto = MotoServer::start_checking_signatures().await;
    // What the template's ReportsPolicy allows, and creating the bucket.
    let (id, secret) = moto.iam_user(
        r#"{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::reports/*"},
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::reports"},
            {"Effect": "Allow", "Action": "s3:CreateBucket", "Resource": "arn:aws:s3:::reports"}]}"#,
    );
    let base = sdk(&moto).await;
    let with_secret = |secret: &str| {
        base.to_builder()
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(
                    aws_credential_types::Credentials::new(&id, secret, None, None, "tests"),
                ),
            )
            .build()
    };
    let sdk = with_secret(&secret);
    let s3 = aws_sdk_s3::Client::new(&sdk);
    s3.create_bucket().bucket("reports").send().await.unwrap();
    let files = S3Files::new(&sdk, "reports").unwrap();
    // Spaces, accents and a `+` in the key; every byte value in the body.
    let key = "reports/2026-03-01/relatório diário+1.pdf";
    let body: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    files
        .put(key, "application/pdf", body.clone())
        .await
        .unwrap();
    let object = s3
        .get_object()
        .bucket("reports")
        .key(key)
        .send()
        .await
        .unwrap();
    assert_eq!(object.content_type(), Some("application/pdf"));
    assert_eq!(
        object.body.collect().await.unwrap().into_bytes().to_vec(),
        body
    );
    assert_eq!(files.get(key).await.unwrap(), Some(body));

    files
        .put(
            "reports/2026-03-01/relatorio.csv",
            "text/csv",
            b"a;b\n".to_vec(),
        )
        .await
        .unwrap();
    assert_eq!(
        files.get("reports/2026-03-01/relatorio.csv").await.unwrap(),
        Some(b"a;b\n".to_vec())
    );
    // An absent file is None; an absent bucket is an error, not an absent file.
    assert_eq!(
        files.get("reports/2026-03-02/relatorio.csv").await.unwrap(),
        None
    );
    let elsewhere = S3Files::new(&sdk, "no-such-bucket").unwrap();
    assert!(
        elsewhere
            .get("reports/2026-03-01/relatorio.csv")
            .await
            .is_err()
    );
    assert!(files.get("../etc/passwd").await.is_err());

    // A wrong secret signs wrongly, and moto refuses it as S3 would.
    let forged = S3Files::new(&with_secret("not-the-secret"), "reports").unwrap();
    let refused = forged
        .put("reports/x.csv", "text/csv", b"x".to_vec())
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("SignatureDoesNotMatch"), "{refused}");
}
