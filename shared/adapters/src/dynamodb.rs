//! The DynamoDB adapter: a thin translation of the store port to one table.
//!
//! Expired items (`expires_at` in the past) are hidden the same way the embedded store hides
//! them, because DynamoDB deletes them only eventually: reads filter them out and conditions
//! treat them as absent.

use std::collections::HashMap;
use std::fmt::Display;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, ConditionCheck, Delete, GlobalSecondaryIndex,
    IndexStatus, KeySchemaElement, KeyType, Projection, ProjectionType, Put, ScalarAttributeType,
    TableStatus, TimeToLiveSpecification, TimeToLiveStatus, TransactWriteItem,
};
use hospital_core::store::{
    Condition, Index, Item, Key, PK, Query, QueryPage, SK, SkRange, Store, StoreError, StoreResult,
    TTL, Update, VERSION, Write, is_expired,
};

use crate::{now_epoch_secs, validate_query, validate_writes};

type AvMap = HashMap<String, AttributeValue>;

/// Whole-transaction attempts when DynamoDB reports a conflict with a concurrent transaction.
const CONFLICT_ATTEMPTS: u32 = 5;
const TABLE_ACTIVE_TIMEOUT: Duration = Duration::from_secs(120);

/// The DynamoDB store over one table.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// A store whose client is configured from the environment (credentials, region, …),
    /// talking to `endpoint` instead of AWS when given (moto, DynamoDB Local).
    pub async fn from_env(table: impl Into<String>, endpoint: Option<String>) -> Self {
        let config = crate::aws::sdk_config(endpoint).await;
        Self::new(Client::new(&config), table)
    }

    /// Over a configuration built elsewhere ([`crate::aws::lambda_config`]); `endpoint` points
    /// this client alone elsewhere.
    pub fn from_config(
        config: &aws_config::SdkConfig,
        table: impl Into<String>,
        endpoint: Option<String>,
    ) -> Self {
        let mut builder = aws_sdk_dynamodb::config::Builder::from(config);
        if let Some(e) = endpoint {
            builder = builder.endpoint_url(e);
        }
        Self::new(Client::from_conf(builder.build()), table)
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Creates the table (with its indexes and TTL) unless it exists, and waits until it is
    /// usable. Meant for local runs and tests; production tables come from the template.
    pub async fn ensure_table(&self) -> StoreResult<()> {
        match self
            .client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                self.create_table().await?;
            }
            Err(e) => return Err(unavailable(e)),
        }
        self.wait_active().await?;
        self.enable_ttl().await
    }

    async fn create_table(&self) -> StoreResult<()> {
        let key_attrs = [PK, SK].into_iter().chain(
            Index::ALL
                .iter()
                .flat_map(|ix| [ix.pk_attr(), ix.sk_attr()]),
        );
        let mut request = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key_element(PK, KeyType::Hash)?)
            .key_schema(key_element(SK, KeyType::Range)?);
        for attr in key_attrs {
            request = request.attribute_definitions(built(
                AttributeDefinition::builder()
                    .attribute_name(attr)
                    .attribute_type(ScalarAttributeType::S)
                    .build(),
            )?);
        }
        for ix in Index::ALL {
            request = request.global_secondary_indexes(built(
                GlobalSecondaryIndex::builder()
                    .index_name(ix.name())
                    .key_schema(key_element(ix.pk_attr(), KeyType::Hash)?)
                    .key_schema(key_element(ix.sk_attr(), KeyType::Range)?)
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::All)
                            .build(),
                    )
                    .build(),
            )?);
        }
        match request.send().await {
            Ok(_) => Ok(()),
            // Created concurrently by someone else: fine, we wait for it below.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_in_use_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn wait_active(&self) -> StoreResult<()> {
        let deadline = tokio::time::Instant::now() + TABLE_ACTIVE_TIMEOUT;
        loop {
            let out = self
                .client
                .describe_table()
                .table_name(&self.table)
                .send()
                .await
                .map_err(unavailable)?;
            let active = out.table().is_some_and(|t| {
                t.table_status() == Some(&TableStatus::Active)
                    && t.global_secondary_indexes()
                        .iter()
                        .all(|g| g.index_status() == Some(&IndexStatus::Active))
            });
            if active {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(StoreError::Unavailable(format!(
                    "table {} not active after {TABLE_ACTIVE_TIMEOUT:?}",
                    self.table
                )));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    async fn enable_ttl(&self) -> StoreResult<()> {
        let out = self
            .client
            .describe_time_to_live()
            .table_name(&self.table)
            .send()
            .await
            .map_err(unavailable)?;
        let enabled = out.time_to_live_description().is_some_and(|d| {
            d.attribute_name() == Some(TTL)
                && matches!(
                    d.time_to_live_status(),
                    Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
                )
        });
        if enabled {
            return Ok(());
        }
        self.client
            .update_time_to_live()
            .table_name(&self.table)
            .time_to_live_specification(built(
                TimeToLiveSpecification::builder()
                    .enabled(true)
                    .attribute_name(TTL)
                    .build(),
            )?)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// One attempt at the writes; `Conflict` asks for another.
    async fn attempt(&self, writes: &[Write]) -> Attempt {
        let now = now_epoch_secs();
        let result = match writes {
            [Write::Put { item, condition }] => self.put_item(item, condition.as_ref(), now).await,
            [Write::Delete { key, condition }] => {
                self.delete_item(key, condition.as_ref(), now).await
            }
            [
                Write::Update {
                    key,
                    update,
                    condition,
                },
            ] => self.update_item(key, update, condition.as_ref(), now).await,
            // Several writes, or a lone check: one TransactWriteItems call.
            _ => return self.attempt_transaction(writes, now).await,
        };
        match result {
            Ok(attempt) => attempt,
            Err(e) => Attempt::Failed(e),
        }
    }

    async fn put_item(
        &self,
        item: &Item,
        condition: Option<&Condition>,
        now: i64,
    ) -> StoreResult<Attempt> {
        let mut expr = Expr::default();
        let cond = condition.map(|c| expr.condition(c, now)).transpose()?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_av(item)?))
            .set_condition_expression(cond)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .send()
            .await;
        Ok(single_write_outcome(result))
    }

    async fn delete_item(
        &self,
        key: &Key,
        condition: Option<&Condition>,
        now: i64,
    ) -> StoreResult<Attempt> {
        let mut expr = Expr::default();
        let cond = condition.map(|c| expr.condition(c, now)).transpose()?;
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_av(key)))
            .set_condition_expression(cond)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .send()
            .await;
        Ok(single_write_outcome(result))
    }

    async fn update_item(
        &self,
        key: &Key,
        update: &Update,
        condition: Option<&Condition>,
        now: i64,
    ) -> StoreResult<Attempt> {
        let mut expr = Expr::default();
        let text = expr.update(update)?;
        let cond = condition.map(|c| expr.condition(c, now)).transpose()?;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_av(key)))
            .update_expression(text)
            .set_condition_expression(cond)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .send()
            .await;
        Ok(single_write_outcome(result))
    }

    async fn attempt_transaction(&self, writes: &[Write], now: i64) -> Attempt {
        let actions = match writes
            .iter()
            .map(|w| self.transact_item(w, now))
            .collect::<StoreResult<Vec<_>>>()
        {
            Ok(actions) => actions,
            Err(e) => return Attempt::Failed(e),
        };
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(actions))
            .send()
            .await;
        let err = match result {
            Ok(_) => return Attempt::Done,
            Err(e) => e,
        };
        let Some(cancelled) = err.as_service_error().and_then(|s| match s {
            aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(c) => Some(c),
            _ => None,
        }) else {
            return Attempt::Failed(unavailable(err));
        };
        let codes: Vec<&str> = cancelled
            .cancellation_reasons()
            .iter()
            .map(|r| r.code().unwrap_or("None"))
            .collect();
        if let Some(i) = codes.iter().position(|c| *c == "ConditionalCheckFailed") {
            return Attempt::Failed(StoreError::ConditionFailed { index: Some(i) });
        }
        if codes.contains(&"TransactionConflict") {
            return Attempt::Conflict(format!("transaction conflict (reasons {codes:?})"));
        }
        Attempt::Failed(StoreError::Unavailable(format!(
            "transaction cancelled (reasons {codes:?}): {}",
            error_text(&err)
        )))
    }

    fn transact_item(&self, write: &Write, now: i64) -> StoreResult<TransactWriteItem> {
        let mut expr = Expr::default();
        let item = match write {
            Write::Put { item, condition } => {
                let cond = condition
                    .as_ref()
                    .map(|c| expr.condition(c, now))
                    .transpose()?;
                TransactWriteItem::builder().put(built(
                    Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(to_av(item)?))
                        .set_condition_expression(cond)
                        .set_expression_attribute_names(expr.names())
                        .set_expression_attribute_values(expr.values())
                        .build(),
                )?)
            }
            Write::Delete { key, condition } => {
                let cond = condition
                    .as_ref()
                    .map(|c| expr.condition(c, now))
                    .transpose()?;
                TransactWriteItem::builder().delete(built(
                    Delete::builder()
                        .table_name(&self.table)
                        .set_key(Some(key_av(key)))
                        .set_condition_expression(cond)
                        .set_expression_attribute_names(expr.names())
                        .set_expression_attribute_values(expr.values())
                        .build(),
                )?)
            }
            Write::Update {
                key,
                update,
                condition,
            } => {
                let text = expr.update(update)?;
                let cond = condition
                    .as_ref()
                    .map(|c| expr.condition(c, now))
                    .transpose()?;
                TransactWriteItem::builder().update(built(
                    aws_sdk_dynamodb::types::Update::builder()
                        .table_name(&self.table)
                        .set_key(Some(key_av(key)))
                        .update_expression(text)
                        .set_condition_expression(cond)
                        .set_expression_attribute_names(expr.names())
                        .set_expression_attribute_values(expr.values())
                        .build(),
                )?)
            }
            Write::Check { key, condition } => {
                let cond = expr.condition(condition, now)?;
                TransactWriteItem::builder().condition_check(built(
                    ConditionCheck::builder()
                        .table_name(&self.table)
                        .set_key(Some(key_av(key)))
                        .condition_expression(cond)
                        .set_expression_attribute_names(expr.names())
                        .set_expression_attribute_values(expr.values())
                        .build(),
                )?)
            }
        };
        Ok(item.build())
    }
}

enum Attempt {
    Done,
    Conflict(String),
    Failed(StoreError),
}

#[async_trait]
impl Store for DynamoStore {
    async fn get(&self, key: &Key) -> StoreResult<Option<Item>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_av(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        let now = now_epoch_secs();
        Ok(out
            .item
            .map(from_av)
            .transpose()?
            .filter(|item| !is_expired(item, now)))
    }

    async fn query(&self, query: &Query) -> StoreResult<QueryPage> {
        validate_query(query)?;
        let (pk_attr, sk_attr) = match query.index {
            None => (PK, SK),
            Some(ix) => (ix.pk_attr(), ix.sk_attr()),
        };
        let now = now_epoch_secs();
        let mut names = HashMap::from([
            ("#p".to_string(), pk_attr.to_string()),
            ("#ttl".to_string(), TTL.to_string()),
        ]);
        let mut values = HashMap::from([
            (":p".to_string(), AttributeValue::S(query.pk.clone())),
            (":now".to_string(), AttributeValue::N(now.to_string())),
        ]);
        // DynamoDB refuses empty strings in key conditions; every stored sort key is
        // non-empty, so an empty bound means "no bound" (or, as an upper bound, "nothing").
        let sk_condition = match &query.sk {
            SkRange::All => None,
            SkRange::BeginsWith(p) if p.is_empty() => None,
            SkRange::BeginsWith(p) => {
                values.insert(":a".into(), AttributeValue::S(p.clone()));
                Some("begins_with(#s, :a)")
            }
            SkRange::Between(_, b) if b.is_empty() => return Ok(QueryPage::default()),
            SkRange::Between(a, b) if a.is_empty() => {
                values.insert(":b".into(), AttributeValue::S(b.clone()));
                Some("#s <= :b")
            }
            SkRange::Between(a, b) => {
                values.insert(":a".into(), AttributeValue::S(a.clone()));
                values.insert(":b".into(), AttributeValue::S(b.clone()));
                Some("#s BETWEEN :a AND :b")
            }
        };
        let mut key_condition = "#p = :p".to_string();
        if let Some(c) = sk_condition {
            names.insert("#s".into(), sk_attr.into());
            key_condition = format!("{key_condition} AND {c}");
        }
        let start = query.start_after.as_ref().map(to_av).transpose()?;

        let out = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(query.index.map(|ix| ix.name().to_string()))
            // Strongly consistent reads exist on the table only, not on a GSI.
            .consistent_read(query.index.is_none())
            .key_condition_expression(key_condition)
            .filter_expression("attribute_not_exists(#ttl) OR #ttl > :now")
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .scan_index_forward(query.forward)
            .limit(i32::try_from(query.limit).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(unavailable)?;

        let items = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(from_av)
            .filter(|r| r.as_ref().map_or(true, |item| !is_expired(item, now)))
            .collect::<StoreResult<Vec<_>>>()?;
        let last_key = out.last_evaluated_key.map(from_av).transpose()?;
        Ok(QueryPage { items, last_key })
    }

    async fn transact(&self, writes: Vec<Write>) -> StoreResult<()> {
        validate_writes(&writes)?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.attempt(&writes).await {
                Attempt::Done => return Ok(()),
                Attempt::Failed(e) => return Err(e),
                Attempt::Conflict(reason) if attempt >= CONFLICT_ATTEMPTS => {
                    return Err(StoreError::Unavailable(format!(
                        "gave up after {attempt} conflicting attempts: {reason}"
                    )));
                }
                Attempt::Conflict(reason) => {
                    tracing::debug!(attempt, %reason, "store transaction conflict, retrying");
                    tokio::time::sleep(backoff(attempt)).await;
                }
            }
        }
    }
}

/// Expression attribute names and values, with numbered placeholders so that an update and
/// its condition can share one request.
#[derive(Default)]
struct Expr {
    names: HashMap<String, String>,
    values: AvMap,
}

impl Expr {
    fn name(&mut self, attr: &str) -> String {
        if let Some((k, _)) = self.names.iter().find(|(_, v)| v.as_str() == attr) {
            return k.clone();
        }
        let k = format!("#n{}", self.names.len());
        self.names.insert(k.clone(), attr.to_string());
        k
    }
    fn value(&mut self, v: AttributeValue) -> String {
        let k = format!(":v{}", self.values.len());
        self.values.insert(k.clone(), v);
        k
    }

    /// A condition as a DynamoDB expression. Expired items count as absent, as in the
    /// embedded store.
    fn condition(&mut self, condition: &Condition, now: i64) -> StoreResult<String> {
        let pk = self.name(PK);
        let ttl = self.name(TTL);
        let now = self.value(AttributeValue::N(now.to_string()));
        let live =
            format!("(attribute_exists({pk}) AND (attribute_not_exists({ttl}) OR {ttl} > {now}))");
        let absent = format!("(attribute_not_exists({pk}) OR {ttl} <= {now})");
        self.part(condition, &live, &absent)
    }

    fn part(&mut self, condition: &Condition, live: &str, absent: &str) -> StoreResult<String> {
        Ok(match condition {
            Condition::NotExists => absent.to_string(),
            Condition::Exists => live.to_string(),
            Condition::VersionIs(v) => {
                let n = self.name(VERSION);
                let v = self.value(AttributeValue::N(v.to_string()));
                format!("({live} AND {n} = {v})")
            }
            Condition::Num { attr, op, value } => {
                let n = self.name(attr);
                let v = self.value(AttributeValue::N(value.to_string()));
                format!("({live} AND {n} {} {v})", op.symbol())
            }
            Condition::Equals { attr, value } => {
                let n = self.name(attr);
                let av = serde_dynamo::to_attribute_value(value).map_err(|e| {
                    StoreError::Invalid(format!("condition value not representable: {e}"))
                })?;
                let v = self.value(av);
                format!("({live} AND {n} = {v})")
            }
            Condition::All(all) if all.is_empty() => format!("({live} OR {absent})"),
            Condition::All(all) => {
                let parts = all
                    .iter()
                    .map(|c| self.part(c, live, absent))
                    .collect::<StoreResult<Vec<_>>>()?;
                format!("({})", parts.join(" AND "))
            }
        })
    }

    /// `SET … ADD … REMOVE …` for an update.
    fn update(&mut self, update: &Update) -> StoreResult<String> {
        let mut clauses = Vec::new();
        if !update.set.is_empty() {
            let mut parts = Vec::new();
            for (k, v) in &update.set {
                let n = self.name(k);
                let av = serde_dynamo::to_attribute_value(v).map_err(|e| {
                    StoreError::Invalid(format!("attribute {k} not representable: {e}"))
                })?;
                let v = self.value(av);
                parts.push(format!("{n} = {v}"));
            }
            clauses.push(format!("SET {}", parts.join(", ")));
        }
        if !update.add.is_empty() {
            let mut parts = Vec::new();
            for (k, d) in &update.add {
                let n = self.name(k);
                let v = self.value(AttributeValue::N(d.to_string()));
                parts.push(format!("{n} {v}"));
            }
            clauses.push(format!("ADD {}", parts.join(", ")));
        }
        if !update.remove.is_empty() {
            let names: Vec<String> = update.remove.iter().map(|k| self.name(k)).collect();
            clauses.push(format!("REMOVE {}", names.join(", ")));
        }
        Ok(clauses.join(" "))
    }

    fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }
    fn values(&self) -> Option<AvMap> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

/// Exponential backoff with jitter (from the clock; no RNG dependency needed for this).
fn backoff(attempt: u32) -> Duration {
    let base = 10u64 << attempt.min(6);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::from(d.subsec_nanos()))
        .unwrap_or(0);
    Duration::from_millis(base + nanos % base)
}

fn key_av(key: &Key) -> AvMap {
    HashMap::from([
        (PK.to_string(), AttributeValue::S(key.pk.clone())),
        (SK.to_string(), AttributeValue::S(key.sk.clone())),
    ])
}

fn to_av(item: &Item) -> StoreResult<AvMap> {
    serde_dynamo::to_item(item)
        .map_err(|e| StoreError::Invalid(format!("item not representable in DynamoDB: {e}")))
}

fn from_av(av: AvMap) -> StoreResult<Item> {
    serde_dynamo::from_item(av)
        .map_err(|e| StoreError::Unavailable(format!("unreadable DynamoDB item: {e}")))
}

fn key_element(attr: &str, key_type: KeyType) -> StoreResult<KeySchemaElement> {
    built(
        KeySchemaElement::builder()
            .attribute_name(attr)
            .key_type(key_type)
            .build(),
    )
}

fn built<T>(result: Result<T, impl Display>) -> StoreResult<T> {
    result.map_err(|e| StoreError::Invalid(format!("DynamoDB request: {e}")))
}

/// The outcome of a lone PutItem or DeleteItem, by the error's code (both operations report
/// the same two codes that matter here).
fn single_write_outcome<T, E, R>(result: Result<T, SdkError<E, R>>) -> Attempt
where
    E: std::error::Error + aws_sdk_dynamodb::error::ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    let Err(e) = result else {
        return Attempt::Done;
    };
    match e.as_service_error().and_then(|s| s.code()) {
        Some("ConditionalCheckFailedException") => {
            Attempt::Failed(StoreError::ConditionFailed { index: Some(0) })
        }
        Some("TransactionConflictException") => Attempt::Conflict(error_text(&e)),
        _ => Attempt::Failed(unavailable(e)),
    }
}

fn error_text<E, R>(err: &SdkError<E, R>) -> String
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    DisplayErrorContext(err).to_string()
}

fn unavailable<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    StoreError::Unavailable(error_text(&err))
}
