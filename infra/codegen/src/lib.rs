//! What derives from the function registry ([`hospital_api::registry`]), written to files that
//! people read and tools load:
//!
//! - `template.yaml`, between its `BEGIN GENERATED FUNCTIONS` / `END GENERATED FUNCTIONS`
//!   lines: one `AWS::Serverless::Function` per function (the one `hospital` binary, its
//!   `HOSPITAL_FUNCTION`, its least-privilege policy, one HttpApi event per route) and its log
//!   group;
//! - `events/<function>/<operation>.json`: an API Gateway HTTP API (v2) event per route, built
//!   from one base event, for `sam local invoke` and the tests that replay them.
//!
//! The tests check both are current; `cargo run -p hospital-codegen` rewrites them.

use hospital_api::registry::{FUNCTIONS, Function, TableAccess};
use hospital_api::routes::{Route, path_params};
use hospital_core::automation::catalogue::{CONSUMERS, JOBS, Needs};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::path::Path;

pub const BEGIN: &str = "  # ---- BEGIN GENERATED FUNCTIONS (cargo run -p hospital-codegen; do not edit by hand) ----\n";
pub const END: &str = "  # ---- END GENERATED FUNCTIONS ----\n";

/// `patients` → `Patients`, `billing_entry` → `BillingEntry`.
pub fn pascal(name: &str) -> String {
    name.split(['_', '-'])
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}

/// The template's logical id of a function.
pub fn logical_id(f: &Function) -> String {
    format!("{}Function", pascal(f.name))
}

fn operation_id(r: &Route) -> String {
    r.op.operation_id
        .clone()
        .unwrap_or_else(|| format!("{} {}", r.method, r.path))
}

/// The function's build: the binary its needs choose. Functions of one binary share identical
/// Metadata, so `sam build` builds each binary once.
fn build_metadata(out: &mut String, function: &str) {
    let binary = hospital_api::registry::binary_of(function).unwrap_or("hospital");
    let _ = writeln!(
        out,
        "    Metadata:\n      BuildMethod: rust-cargolambda\n      BuildProperties:\n        Binary: {binary}"
    );
}

/// The template's functions, as the text between the markers.
pub fn template_functions() -> String {
    let mut out = String::new();
    for f in FUNCTIONS {
        let id = logical_id(f);
        let _ = writeln!(out, "  {id}:");
        out.push_str("    Type: AWS::Serverless::Function\n");
        build_metadata(&mut out, f.name);
        out.push_str("    Properties:\n");
        // JSON strings are YAML double-quoted strings.
        let _ = writeln!(out, "      Description: {}", json!(f.description));
        let _ = writeln!(
            out,
            "      Environment:\n        Variables:\n          HOSPITAL_FUNCTION: {}",
            f.name
        );
        let users = f.name == hospital_api::accounts::USERS_FN.name;
        if users {
            // Only here: the pool's trigger is a function too, and Globals naming the pool
            // would make every function, the trigger included, depend on it (a cycle).
            out.push_str("          USER_POOL_ID: !Ref UserPool\n");
        }
        match f.table {
            TableAccess::None => {
                out.push_str("      # No table access: its routes read nothing from storage.\n")
            }
            TableAccess::Read => out.push_str("      Policies:\n        - !Ref TableReadPolicy\n"),
            TableAccess::ReadWrite => {
                out.push_str("      Policies:\n        - !Ref TableAccessPolicy\n")
            }
            TableAccess::ReportFiles => {
                out.push_str("      Policies:\n        - !Ref ReportsReadPolicy\n")
            }
        }
        if users {
            out.push_str("        - !Ref UserPoolAdminPolicy\n");
        }
        out.push_str("      Events:\n");
        for r in (f.routes)() {
            let _ = writeln!(out, "        {}:", pascal(&operation_id(&r)));
            out.push_str(
                "          Type: HttpApi\n          Properties:\n            ApiId: !Ref HttpApi\n",
            );
            let _ = writeln!(out, "            Method: {}", r.method);
            let _ = writeln!(out, "            Path: {}", r.path);
            if r.roles.is_empty() {
                out.push_str("            Auth:\n              Authorizer: NONE\n");
            }
        }
        out.push('\n');
        let _ = writeln!(out, "  {id}LogGroup:");
        out.push_str("    Type: AWS::Logs::LogGroup\n    DeletionPolicy: Delete\n    UpdateReplacePolicy: Delete\n    Properties:\n");
        let _ = writeln!(out, "      LogGroupName: !Sub /aws/lambda/${{{id}}}");
        out.push_str("      RetentionInDays: !Ref LogRetentionDays\n\n");
    }
    out
}

/// The policies of an automation function: the table, and what it needs besides.
fn automation_policies(out: &mut String, needs: &[Needs], extra: &[&str]) {
    out.push_str("      Policies:\n        - !Ref TableAccessPolicy\n");
    for n in needs {
        let policy = match n {
            Needs::Mail => "MailPolicy",
            Needs::PublishEvents => "PublishEventsPolicy",
            Needs::Reports => "ReportsPolicy",
        };
        let _ = writeln!(out, "        - !Ref {policy}");
    }
    for e in extra {
        out.push_str(e);
    }
}

/// A queue for what an asynchronously invoked function could not do, and an alarm on its depth.
fn dead_letters(out: &mut String, queue: &str, what: &str) {
    let _ = writeln!(out, "  {queue}:");
    out.push_str("    Type: AWS::SQS::Queue\n    Properties:\n      MessageRetentionPeriod: 1209600\n      SqsManagedSseEnabled: true\n\n");
    let _ = writeln!(out, "  {queue}Alarm:");
    out.push_str("    Type: AWS::CloudWatch::Alarm\n    Properties:\n");
    let _ = writeln!(
        out,
        "      AlarmDescription: {}",
        json!(format!(
            "{what} left messages in {queue}: look at them, fix, redrive"
        ))
    );
    out.push_str("      Namespace: AWS/SQS\n      MetricName: ApproximateNumberOfMessagesVisible\n      Dimensions:\n        - Name: QueueName\n");
    let _ = writeln!(out, "          Value: !GetAtt {queue}.QueueName");
    out.push_str("      Statistic: Maximum\n      Period: 300\n      EvaluationPeriods: 1\n      Threshold: 0\n      ComparisonOperator: GreaterThanThreshold\n      TreatMissingData: notBreaching\n      AlarmActions:\n        - !Ref AlarmTopic\n\n");
}

/// The head of an automation function: type, the one build, description, its name, and the
/// destination of its failed asynchronous invocations.
fn automation_head(out: &mut String, id: &str, name: &str, description: &str, failures: &str) {
    let _ = writeln!(out, "  {id}:");
    out.push_str("    Type: AWS::Serverless::Function\n");
    build_metadata(out, name);
    out.push_str("    Properties:\n");
    let _ = writeln!(out, "      Description: {}", json!(description));
    let _ = writeln!(
        out,
        "      Environment:\n        Variables:\n          HOSPITAL_FUNCTION: {name}"
    );
    out.push_str("      Timeout: 60\n");
    out.push_str("      EventInvokeConfig:\n        MaximumRetryAttempts: 2\n        DestinationConfig:\n          OnFailure:\n            Type: SQS\n");
    let _ = writeln!(out, "            Destination: !GetAtt {failures}.Arn");
}

fn log_group(out: &mut String, id: &str) {
    let _ = writeln!(out, "  {id}LogGroup:");
    out.push_str("    Type: AWS::Logs::LogGroup\n    DeletionPolicy: Delete\n    UpdateReplacePolicy: Delete\n    Properties:\n");
    let _ = writeln!(out, "      LogGroupName: !Sub /aws/lambda/${{{id}}}");
    out.push_str("      RetentionInDays: !Ref LogRetentionDays\n\n");
}

/// The functions of the automation catalogue: one per consumer (an EventBridge rule on the
/// stack's bus), one per job (an EventBridge Scheduler schedule in the hospital's time zone,
/// no flexible window), and the relay (the table's stream, filtered to new outbox records).
/// Every one has a dead-letter queue with an alarm on its depth.
pub fn automation_functions() -> String {
    let mut out = String::new();
    for c in CONSUMERS {
        let id = format!("{}Function", pascal(c.name));
        let failures = format!("{}FailureQueue", pascal(c.name));
        automation_head(&mut out, &id, c.name, c.description, &failures);
        automation_policies(&mut out, c.needs, &[]);
        out.push_str("      Events:\n        Rule:\n          Type: EventBridgeRule\n          Properties:\n            EventBusName: !Ref EventBus\n            Pattern:\n");
        let _ = writeln!(out, "              source:\n                - {}", c.source);
        out.push_str("              detail-type:\n");
        for t in c.detail_types {
            let _ = writeln!(out, "                - {t}");
        }
        out.push_str("            RetryPolicy:\n              MaximumRetryAttempts: 10\n              MaximumEventAgeInSeconds: 86400\n            DeadLetterConfig:\n");
        let _ = writeln!(out, "              Arn: !GetAtt {failures}.Arn");
        out.push('\n');
        dead_letters(
            &mut out,
            &failures,
            &format!("{} (failed deliveries and invocations)", c.name),
        );
        // EventBridge puts what its rule could not deliver in the queue.
        let _ = writeln!(out, "  {failures}Policy:");
        out.push_str("    Type: AWS::SQS::QueuePolicy\n    Properties:\n      Queues:\n");
        let _ = writeln!(out, "        - !Ref {failures}");
        out.push_str("      PolicyDocument:\n        Version: \"2012-10-17\"\n        Statement:\n          - Effect: Allow\n            Principal:\n              Service: events.amazonaws.com\n            Action: sqs:SendMessage\n");
        let _ = writeln!(out, "            Resource: !GetAtt {failures}.Arn");
        out.push_str("            Condition:\n              ArnEquals:\n");
        let _ = writeln!(out, "                aws:SourceArn: !GetAtt {id}Rule.Arn\n");
        log_group(&mut out, &id);
    }
    for j in JOBS {
        let id = format!("{}Function", pascal(j.name));
        let failures = format!("{}FailureQueue", pascal(j.name));
        automation_head(&mut out, &id, j.name, j.description, &failures);
        automation_policies(&mut out, j.needs, &[]);
        out.push_str(
            "      Events:\n        Schedule:\n          Type: ScheduleV2\n          Properties:\n",
        );
        let _ = writeln!(
            out,
            "            ScheduleExpression: {}",
            j.schedule.expression()
        );
        out.push_str("            ScheduleExpressionTimezone: !Ref HospitalTimezone\n            FlexibleTimeWindow:\n              Mode: \"OFF\"\n            RetryPolicy:\n              MaximumRetryAttempts: 3\n            DeadLetterConfig:\n");
        let _ = writeln!(out, "              Arn: !GetAtt {failures}.Arn");
        out.push('\n');
        dead_letters(
            &mut out,
            &failures,
            &format!("{} (failed schedules and runs)", j.name),
        );
        log_group(&mut out, &id);
    }
    // The relay.
    let id = "RelayFunction";
    let _ = writeln!(out, "  {id}:");
    out.push_str("    Type: AWS::Serverless::Function\n");
    build_metadata(&mut out, hospital_api::registry::RELAY);
    out.push_str("    Properties:\n      Description: \"Moves new outbox records from the table's stream to the event bus\"\n");
    out.push_str("      Environment:\n        Variables:\n          HOSPITAL_FUNCTION: relay\n      Timeout: 60\n");
    automation_policies(
        &mut out,
        &[Needs::PublishEvents],
        &[
            "        - SQSSendMessagePolicy:\n            QueueName: !GetAtt RelayFailureQueue.QueueName\n",
        ],
    );
    out.push_str("      Events:\n        Stream:\n          Type: DynamoDB\n          Properties:\n            Stream: !GetAtt Table.StreamArn\n            StartingPosition: TRIM_HORIZON\n            BatchSize: 10\n            MaximumBatchingWindowInSeconds: 1\n            MaximumRetryAttempts: 10\n            BisectBatchOnFunctionError: true\n            FunctionResponseTypes:\n              - ReportBatchItemFailures\n            FilterCriteria:\n              Filters:\n                - Pattern: '{\"eventName\": [\"INSERT\"], \"dynamodb\": {\"NewImage\": {\"entity\": {\"S\": [\"outbox\"]}}}}'\n            DestinationConfig:\n              OnFailure:\n                Type: SQS\n                Destination: !GetAtt RelayFailureQueue.Arn\n\n");
    dead_letters(
        &mut out,
        "RelayFailureQueue",
        "the relay (stream batches it could not publish; the outbox sweep republishes them)",
    );
    log_group(&mut out, id);
    cognito_messages(&mut out);
    out
}

/// The user pool's CustomMessage trigger (the pool names it in its LambdaConfig): invoked by
/// Cognito, synchronously, so no dead-letter queue; Cognito waits 5 seconds for it.
fn cognito_messages(out: &mut String) {
    let id = "CognitoMessagesFunction";
    let name = hospital_api::registry::COGNITO_MESSAGES;
    let _ = writeln!(out, "  {id}:");
    out.push_str("    Type: AWS::Serverless::Function\n");
    build_metadata(out, name);
    out.push_str("    Properties:\n      Description: \"RF16: the user pool's account e-mails (welcome, verification, password reset) from the pt-BR templates\"\n");
    let _ = writeln!(
        out,
        "      Environment:\n        Variables:\n          HOSPITAL_FUNCTION: {name}\n      Timeout: 5\n"
    );
    out.push_str("  CognitoMessagesPermission:\n    Type: AWS::Lambda::Permission\n    Properties:\n      Action: lambda:InvokeFunction\n");
    let _ = writeln!(out, "      FunctionName: !GetAtt {id}.Arn");
    out.push_str(
        "      Principal: cognito-idp.amazonaws.com\n      SourceArn: !GetAtt UserPool.Arn\n\n",
    );
    log_group(out, id);
}

/// The CustomMessage triggers the pool sends, each with a sample event.
pub const COGNITO_TRIGGERS: [&str; 6] = [
    "CustomMessage_AdminCreateUser",
    "CustomMessage_SignUp",
    "CustomMessage_ResendCode",
    "CustomMessage_ForgotPassword",
    "CustomMessage_UpdateUserAttribute",
    "CustomMessage_VerifyUserAttribute",
];

/// A CustomMessage event as Cognito sends it: the placeholders it will replace, the user's
/// attributes, an empty response for the trigger to fill.
pub fn cognito_sample(trigger: &str) -> Value {
    json!({
        "version": "1",
        "triggerSource": trigger,
        "region": "us-east-1",
        "userPoolId": "us-east-1_Ex4mple00",
        "userName": "7f3c2a10-5b6d-4e8f-9a01-23456789abcd",
        "callerContext": {
            "awsSdkVersion": "aws-sdk-unknown-unknown",
            "clientId": if trigger == "CustomMessage_AdminCreateUser" { Value::Null } else { json!("4example5client6id7abcdefgh") }
        },
        "request": {
            "userAttributes": {
                "sub": "7f3c2a10-5b6d-4e8f-9a01-23456789abcd",
                "email": "ana.souza@santaclara.example",
                "email_verified": "true",
                "name": "Ana Souza",
                "cognito:user_status": if trigger == "CustomMessage_AdminCreateUser" { "FORCE_CHANGE_PASSWORD" } else { "CONFIRMED" }
            },
            "codeParameter": "{####}",
            "usernameParameter": if trigger == "CustomMessage_AdminCreateUser" { json!("{username}") } else { Value::Null },
            "linkParameter": "{##Click Here##}"
        },
        "response": {"smsMessage": null, "emailMessage": null, "emailSubject": null}
    })
}

/// `template` with its generated section replaced.
pub fn with_functions(template: &str) -> Result<String, String> {
    let start = template
        .find(BEGIN)
        .ok_or("template.yaml has no BEGIN GENERATED FUNCTIONS line")?;
    let end = template
        .find(END)
        .ok_or("template.yaml has no END GENERATED FUNCTIONS line")?;
    Ok(format!(
        "{}{BEGIN}{}{}{}",
        &template[..start],
        template_functions(),
        automation_functions(),
        &template[end..]
    ))
}

/// An id for each path parameter of the samples.
const SAMPLE_IDS: [&str; 3] = [
    "01JBEN16F07QRVXFM2VY5PFPDZ",
    "01JBEMSW30RD39EK9TNMZCBE0T",
    "01JD3Q0V4W6X8Y9Z0A1B2C3D4E",
];

/// The base of every sample: an API Gateway HTTP API (payload 2.0) request with the JWT
/// authorizer's claims, as API Gateway hands it to the function.
pub fn base_event() -> Value {
    json!({
        "version": "2.0",
        "routeKey": "GET /v1/health",
        "rawPath": "/v1/health",
        "rawQueryString": "",
        "headers": {
            "accept": "application/json",
            "host": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
            "user-agent": "hospital-frontend/1.0",
            "x-amzn-trace-id": "Root=1-6749ac40-0123456789abcdef01234563",
            "x-forwarded-for": "203.0.113.10",
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https",
            "authorization": "Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6InNhbXBsZSJ9.eyJzdWIiOiI3ZjNjMmExMCJ9.c2lnbmF0dXJl"
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "a1b2c3d4e5",
            "domainName": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "a1b2c3d4e5",
            "http": {
                "method": "GET",
                "path": "/v1/health",
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.10",
                "userAgent": "hospital-frontend/1.0"
            },
            "requestId": "Cx1aHkzLoAMEb3Q=",
            "routeKey": "GET /v1/health",
            "stage": "$default",
            "time": "29/Nov/2026:12:00:03 +0000",
            "timeEpoch": 1795953603000_i64,
            "authorizer": {
                "jwt": {
                    "claims": {
                        "sub": "7f3c2a10-5b6d-4e8f-9a01-23456789abcd",
                        "roles": "[admin]",
                        "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Ex4mple00",
                        "aud": "hospital-api",
                        "iat": "1795953000",
                        "exp": "1795956600"
                    },
                    "scopes": null
                }
            }
        },
        "isBase64Encoded": false
    })
}

/// The sample event of one route: its method and path (ids filled in), the first role it
/// allows as the caller's, and its example body.
pub fn sample_event(route: &Route) -> Value {
    let mut event = base_event();
    let mut ids = SAMPLE_IDS.iter();
    let mut path = route.path.to_string();
    for p in path_params(route.path).collect::<Vec<_>>() {
        let value = match p {
            "file" => "2026-11-28.pdf",
            _ => ids.next().unwrap_or(&SAMPLE_IDS[0]),
        };
        path = path.replace(&format!("{{{p}}}"), value);
    }
    // Required query parameters, from their schemas' examples (an indicator's range).
    let mut query = serde_json::Map::new();
    for p in route.op.parameters.iter().flatten() {
        let p = serde_json::to_value(p).unwrap_or_default();
        if let (true, Some(name), Some(example)) = (
            p["in"] == "query" && p["required"] == true,
            p["name"].as_str(),
            p["schema"]["example"].as_str(),
        ) {
            query.insert(name.to_string(), json!(example));
        }
    }
    if !query.is_empty() {
        let raw: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
            .collect();
        event["rawQueryString"] = json!(raw.join("&"));
        event["queryStringParameters"] = Value::Object(query);
    }
    let route_key = format!("{} {}", route.method, route.path);
    event["routeKey"] = json!(route_key);
    event["rawPath"] = json!(path);
    event["requestContext"]["routeKey"] = json!(route_key);
    event["requestContext"]["http"]["method"] = json!(route.method);
    event["requestContext"]["http"]["path"] = json!(path);
    match route.roles.first() {
        Some(role) => {
            event["requestContext"]["authorizer"]["jwt"]["claims"]["roles"] =
                json!(format!("[{}]", role.as_str()));
        }
        None => {
            // A public route: no token, no authorizer.
            if let Some(h) = event["headers"].as_object_mut() {
                h.remove("authorization");
            }
            if let Some(c) = event["requestContext"].as_object_mut() {
                c.remove("authorizer");
            }
        }
    }
    if let Some(body) = &route.example {
        let text = body.to_string();
        let media = if route.method == "PATCH" {
            "application/merge-patch+json"
        } else {
            "application/json"
        };
        event["headers"]["content-type"] = json!(media);
        event["headers"]["content-length"] = json!(text.len().to_string());
        event["body"] = json!(text);
    }
    event
}

/// A sample detail for each consumer's events (ids only, as the events carry).
fn sample_detail(consumer: &str) -> Value {
    match consumer {
        "notifier" => json!({
            "template": "stock_low",
            "to": [{"list": "pharmacy"}],
            "data": {"medication_id": SAMPLE_IDS[0]},
        }),
        "bill-discharge" => json!({
            "admission_id": SAMPLE_IDS[0], "patient_id": SAMPLE_IDS[1], "bed_id": SAMPLE_IDS[2],
            "sector_id": SAMPLE_IDS[1], "disposition": "home", "discharge_diagnosis_code": "I21.9",
            "admitted_at": "2026-11-20T10:00:00.000Z", "discharged_at": "2026-11-27T14:30:00.000Z",
        }),
        "announce-bed" => json!({
            "bed_id": SAMPLE_IDS[0], "sector_id": SAMPLE_IDS[1], "code": "UTI-07",
            "previous_status": "cleaning",
        }),
        "stock-low" => {
            json!({"medication_id": SAMPLE_IDS[0], "minimum_stock": 100, "movement_id": SAMPLE_IDS[1]})
        }
        "keep-alert" => {
            json!({"kind": "missing_tariff", "subject": SAMPLE_IDS[0], "message": "admission was not billed: no tariff"})
        }
        _ => json!({}),
    }
}

/// The automation's samples: an EventBridge event per consumer, a scheduler invocation per job,
/// a stream batch for the relay.
pub fn automation_samples() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for c in CONSUMERS {
        let mut detail = sample_detail(c.name);
        detail["event_id"] = json!("01JD3Q0V4W6X8Y9Z0A1B2C3D4F");
        detail["occurred_at"] = json!("2026-11-29T12:00:00.000Z");
        out.push((
            format!("{}/event.json", c.name),
            json!({
                "version": "0",
                "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
                "detail-type": c.detail_types[0],
                "source": c.source,
                "account": "123456789012",
                "time": "2026-11-29T12:00:00Z",
                "region": "us-east-1",
                "resources": [],
                "detail": detail,
            }),
        ));
    }
    for j in JOBS {
        // EventBridge Scheduler's invocation: the schedule's input, none here.
        out.push((format!("{}/schedule.json", j.name), json!({})));
    }
    out.push((
        "relay/stream.json".to_string(),
        json!({"Records": [{
            "eventID": "c4ca4238a0b923820dcc509a6f75849b",
            "eventName": "INSERT",
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "dynamodb": {
                "ApproximateCreationDateTime": 1795953600,
                "Keys": {"pk": {"S": "outbox#01JD3Q0V4W6X8Y9Z0A1B2C3D4F"}, "sk": {"S": "outbox"}},
                "NewImage": {
                    "pk": {"S": "outbox#01JD3Q0V4W6X8Y9Z0A1B2C3D4F"}, "sk": {"S": "outbox"},
                    "entity": {"S": "outbox"},
                    "gsi2pk": {"S": "outbox#pending"}, "gsi2sk": {"S": "01JD3Q0V4W6X8Y9Z0A1B2C3D4F"},
                    "event_id": {"S": "01JD3Q0V4W6X8Y9Z0A1B2C3D4F"},
                    "source": {"S": "hospital.beds"}, "detail_type": {"S": "BedReleased"},
                    "occurred_at": {"S": "2026-11-29T12:00:00.000Z"},
                    "detail": {"M": {"bed_id": {"S": SAMPLE_IDS[0]}, "sector_id": {"S": SAMPLE_IDS[1]}}},
                    "expires_at": {"N": "1798545600"}
                },
                "SequenceNumber": "111",
                "SizeBytes": 420,
                "StreamViewType": "NEW_IMAGE"
            },
            "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/hospital/stream/2026-11-29T00:00:00.000"
        }]}),
    ));
    for trigger in COGNITO_TRIGGERS {
        // CustomMessage_AdminCreateUser → admin-create-user.json
        let mut file = String::new();
        for c in trigger.trim_start_matches("CustomMessage_").chars() {
            if c.is_ascii_uppercase() && !file.is_empty() {
                file.push('-');
            }
            file.push(c.to_ascii_lowercase());
        }
        out.push((
            format!("{}/{file}.json", hospital_api::registry::COGNITO_MESSAGES),
            cognito_sample(trigger),
        ));
    }
    out
}

/// Every sample: (relative path under `events/`, event).
pub fn sample_events() -> Vec<(String, Value)> {
    let mut out = automation_samples();
    for f in FUNCTIONS {
        for r in (f.routes)() {
            let name = operation_id(&r).replace('_', "-");
            out.push((format!("{}/{name}.json", f.name), sample_event(&r)));
        }
    }
    out
}

/// Writes (or, with `check`, only compares) the generated files under `root`; answers the
/// files that differ(ed).
pub fn write_all(root: &Path, check: bool) -> Result<Vec<String>, String> {
    let mut changed = Vec::new();
    let template_path = root.join("template.yaml");
    let template = std::fs::read_to_string(&template_path)
        .map_err(|e| format!("{}: {e}", template_path.display()))?;
    let wanted = with_functions(&template)?;
    if wanted != template {
        changed.push("template.yaml".to_string());
        if !check {
            std::fs::write(&template_path, &wanted).map_err(|e| e.to_string())?;
        }
    }
    let events = root.join("events");
    let samples = sample_events();
    // Stale files: samples of routes that are gone.
    let wanted_files: Vec<String> = samples.iter().map(|(p, _)| p.clone()).collect();
    if let Ok(dirs) = std::fs::read_dir(&events) {
        for dir in dirs.flatten().filter(|d| d.path().is_dir()) {
            for file in std::fs::read_dir(dir.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                let rel = format!(
                    "{}/{}",
                    dir.file_name().to_string_lossy(),
                    file.file_name().to_string_lossy()
                );
                if rel.ends_with(".json") && !wanted_files.contains(&rel) {
                    changed.push(format!("events/{rel} (removed)"));
                    if !check {
                        std::fs::remove_file(file.path()).map_err(|e| e.to_string())?;
                    }
                }
            }
        }
    }
    for (rel, event) in samples {
        let path = events.join(&rel);
        let text = serde_json::to_string_pretty(&event).map_err(|e| e.to_string())? + "\n";
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            changed.push(format!("events/{rel}"));
            if !check {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
                }
                std::fs::write(&path, text).map_err(|e| e.to_string())?;
            }
        }
    }
    Ok(changed)
}
