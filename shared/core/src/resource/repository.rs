//! Create / read / list / merge-patch / delete for any [`Resource`], written once.

use super::keys::{item_key, parent_field, parent_key, unique_key};
use super::record::META;
use super::tx::{Blame, Change, Tx, TxError};
use super::{ATTEMPTS, DEFAULT_LIMIT, Filter, MAX_CHILDREN, MAX_LIMIT, Record, Resource, Unique};
use crate::cursor::Cursors;
use crate::error::{DomainError, DomainResult, FieldError};
use crate::ids;
use crate::store::{Index, Item, Key, Query, SkRange, Store, StoreError};
use crate::time::Calendar;
use crate::validate::field_errors;
use serde_json::Value;
use std::marker::PhantomData;
use std::sync::Arc;

/// What repositories and use cases need: the store, the calendar and the cursor key.
#[derive(Clone)]
pub struct Deps {
    pub store: Arc<dyn Store>,
    pub calendar: Calendar,
    pub cursors: Cursors,
}

impl Deps {
    /// A transaction stamped with the hospital clock's now.
    pub fn tx(&self) -> Tx {
        Tx::new(&self.calendar)
    }

    /// Runs a query with the caller's `limit` and `cursor`: one more item than the page is
    /// asked for, so `next_cursor` is null exactly when nothing follows.
    pub async fn page(
        &self,
        query: Query,
        limit: Option<usize>,
        cursor: Option<&str>,
    ) -> DomainResult<(Vec<Item>, Option<String>)> {
        self.page_where(query, limit, cursor, &[]).await
    }

    /// [`Self::page`], keeping only items whose attributes equal the strings of `only`. The
    /// store is read a few pages at most per call, so a page may hold fewer than `limit` items
    /// while `next_cursor` says more may follow (as DynamoDB's filter expressions do).
    pub async fn page_where(
        &self,
        query: Query,
        limit: Option<usize>,
        cursor: Option<&str>,
        only: &[(String, String)],
    ) -> DomainResult<(Vec<Item>, Option<String>)> {
        let limit = check_limit(limit)?;
        let mut start = cursor.map(|c| self.cursors.decode(c, &query)).transpose()?;
        let keep = |item: &Item| {
            only.iter()
                .all(|(k, v)| item.get(k).and_then(Value::as_str) == Some(v.as_str()))
        };
        let mut items: Vec<Item> = Vec::new();
        for _ in 0..FILTERED_READS {
            let q = query.clone().limit(limit + 1).start_after(start.take());
            let page = self.store.query(&q).await?;
            let read = page.items.len();
            let last_read = page.items.last().map(|i| q.key_of(i));
            for item in page.items {
                if items.len() > limit {
                    break;
                }
                if keep(&item) {
                    items.push(item);
                }
            }
            if items.len() > limit {
                items.truncate(limit);
                let last = items.last().map(|i| self.cursors.encode(&q.key_of(i), &q));
                return Ok((items, last));
            }
            // The partition ends here unless the store stopped at its limit (or skipped
            // expired items and said where it stopped).
            start = match (page.last_key, read > limit) {
                (Some(k), _) => Some(k),
                (None, true) => last_read,
                (None, false) => return Ok((items, None)),
            };
        }
        let next = start.map(|k| self.cursors.encode(&k, &query));
        Ok((items, next))
    }
}

impl Deps {
    /// Every item of a query, page by page: for partitions bounded by their window or subject
    /// (a month of counters, a sector's beds), never for a whole history.
    pub async fn query_all(&self, query: Query) -> DomainResult<Vec<Item>> {
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .store
                .query(&query.clone().limit(500).start_after(start))
                .await?;
            out.extend(page.items);
            match page.last_key {
                Some(k) => start = Some(k),
                None => return Ok(out),
            }
        }
    }
}

/// Store pages a filtered list reads at most per request.
const FILTERED_READS: usize = 4;

/// `?limit=`: 1 to [`MAX_LIMIT`], default [`DEFAULT_LIMIT`].
pub fn check_limit(limit: Option<usize>) -> DomainResult<usize> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if (1..=MAX_LIMIT).contains(&limit) {
        Ok(limit)
    } else {
        Err(DomainError::bad_request(
            "limit",
            format!("limit must be between 1 and {MAX_LIMIT}"),
        ))
    }
}

/// A page of records and the cursor of the next page.
#[derive(Debug, Clone)]
pub struct Page<R> {
    pub items: Vec<Record<R>>,
    pub next_cursor: Option<String>,
}

pub struct Repository<R> {
    deps: Deps,
    _r: PhantomData<fn() -> R>,
}

impl<R> Clone for Repository<R> {
    fn clone(&self) -> Self {
        Self {
            deps: self.deps.clone(),
            _r: PhantomData,
        }
    }
}

/// Rejects request fields the client may not set: metadata, the parent's id, server fields.
pub fn reject_read_only<R: Resource>(body: &Value) -> DomainResult<()> {
    let Some(map) = body.as_object() else {
        return Err(DomainError::invalid("", "the body must be a JSON object"));
    };
    let parent = parent_field::<R>();
    let mut errors = Vec::new();
    for k in map.keys() {
        if META.contains(&k.as_str()) || Some(k.as_str()) == parent.as_deref() {
            errors.push(FieldError::new(k.clone(), "is read-only"));
        } else if R::SERVER_FIELDS.contains(&k.as_str()) {
            errors.push(FieldError::new(k.clone(), "is maintained by the server"));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(DomainError::Validation(errors))
    }
}

impl<R: Resource> Repository<R> {
    pub fn new(deps: Deps) -> Self {
        Self {
            deps,
            _r: PhantomData,
        }
    }

    pub fn deps(&self) -> &Deps {
        &self.deps
    }

    /// Normalizes and validates data about to be written (`before` on update).
    pub fn prepare(&self, data: &mut R, before: Option<&R>) -> DomainResult<()> {
        // Control characters are refused as sent, before trimming could hide one.
        let raw_text = crate::validate::text_fields(data, R::MULTILINE);
        if !raw_text.is_empty() {
            return Err(DomainError::Validation(raw_text));
        }
        data.normalize();
        let mut errors = match data.validate() {
            Ok(()) => Vec::new(),
            Err(e) => field_errors(&e),
        };
        errors.extend(data.check(&self.deps.calendar));
        errors.extend(data.check_change(before, &self.deps.calendar));
        for r in data.references() {
            if !ids::is_id(&r.id) && !errors.iter().any(|e| e.field == r.field) {
                errors.push(FieldError::new(
                    r.field.clone(),
                    format!("must be a {} id (ULID)", r.kind),
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Validation(errors))
        }
    }

    fn parent_ids<'a>(&self, parent_id: Option<&'a str>) -> DomainResult<Option<&'a str>> {
        match (R::PARENT, parent_id) {
            (None, _) => Ok(None),
            (Some(_), Some(pid)) if ids::is_id(pid) => Ok(Some(pid)),
            (Some(parent), pid) => Err(DomainError::NotFound {
                kind: parent,
                id: pid.unwrap_or_default().to_string(),
            }),
        }
    }

    /// Creates from a JSON body: read-only fields rejected, then decoded and validated.
    pub async fn create_json(
        &self,
        parent_id: Option<&str>,
        body: Value,
    ) -> DomainResult<Record<R>> {
        reject_read_only::<R>(&body)?;
        let data: R = crate::json::decode(body).map_err(|e| DomainError::Validation(vec![e]))?;
        self.create(parent_id, data).await
    }

    pub async fn create(&self, parent_id: Option<&str>, mut data: R) -> DomainResult<Record<R>> {
        let parent_id = self.parent_ids(parent_id)?;
        self.prepare(&mut data, None)?;
        if let Some(pid) = parent_id
            && self.count_children(pid).await? >= MAX_CHILDREN
        {
            return Err(DomainError::Conflict {
                field: None,
                message: format!(
                    "a {} holds at most {MAX_CHILDREN} of these",
                    R::PARENT.unwrap_or_default()
                ),
            });
        }
        data.stamp(None, self.deps.calendar.now(), self.deps.calendar.today());
        let record = Record::new(
            ids::new_id(),
            parent_id.map(str::to_string),
            self.deps.calendar.now(),
            data,
        );
        for _ in 0..ATTEMPTS {
            let mut tx = self.deps.tx();
            tx.create(&record);
            let change = Change {
                before: None,
                after: Some(&record),
                now: tx.now(),
            };
            R::plan(&change, &self.deps, &mut tx).await?;
            match tx.commit(self.deps.store.as_ref()).await {
                Ok(()) => return Ok(record),
                Err(e) if e.is_retryable() => continue,
                Err(e) => return Err(self.explain(e, None, parent_id, &record.id).await),
            }
        }
        Err(self.busy())
    }

    /// The caller-facing error of a failed transaction on the resource `id`.
    async fn explain(
        &self,
        e: TxError,
        if_match: Option<u64>,
        parent_id: Option<&str>,
        id: &str,
    ) -> DomainError {
        match e {
            TxError::Failed(Blame::Item { .. }) if if_match.is_some() => {
                match self.deps.store.get(&item_key::<R>(parent_id, id)).await {
                    Ok(Some(item)) => DomainError::PreconditionFailed {
                        kind: R::KIND,
                        current: item.get("version").and_then(Value::as_u64).unwrap_or(0),
                    },
                    Ok(None) => DomainError::NotFound {
                        kind: R::KIND,
                        id: id.to_string(),
                    },
                    Err(e) => e.into(),
                }
            }
            TxError::Failed(Blame::Referenced { .. }) => match self.still_referenced(id).await {
                Ok(e) | Err(e) => e,
            },
            TxError::Failed(b) => b.error().unwrap_or_else(|| self.busy()),
            TxError::Unexplained => self.busy(),
            TxError::Store(e) => e.into(),
        }
    }

    pub fn busy(&self) -> DomainError {
        DomainError::Conflict {
            field: None,
            message: format!("the {} is being changed by others; retry", R::KIND),
        }
    }

    /// The stored resource, provided it is at the version `If-Match` names (412 otherwise).
    pub async fn current(
        &self,
        parent_id: Option<&str>,
        id: &str,
        if_match: Option<u64>,
    ) -> DomainResult<Record<R>> {
        let current = self.get(parent_id, id).await?;
        match if_match {
            Some(v) if v != current.version => Err(DomainError::PreconditionFailed {
                kind: R::KIND,
                current: current.version,
            }),
            _ => Ok(current),
        }
    }

    pub async fn get(&self, parent_id: Option<&str>, id: &str) -> DomainResult<Record<R>> {
        let parent_id = self.parent_ids(parent_id)?;
        let not_found = || DomainError::NotFound {
            kind: R::KIND,
            id: id.to_string(),
        };
        if !ids::is_id(id) {
            return Err(not_found());
        }
        match self.deps.store.get(&item_key::<R>(parent_id, id)).await? {
            Some(item) => Record::from_item(item),
            None => Err(not_found()),
        }
    }

    /// The public JSON and version of a stored resource, read as stored (the GET route's path).
    pub async fn get_json(&self, parent_id: Option<&str>, id: &str) -> DomainResult<(u64, Value)> {
        let parent_id = self.parent_ids(parent_id)?;
        let not_found = || DomainError::NotFound {
            kind: R::KIND,
            id: id.to_string(),
        };
        if !ids::is_id(id) {
            return Err(not_found());
        }
        match self.deps.store.get(&item_key::<R>(parent_id, id)).await? {
            Some(item) => Record::<R>::json_of_item(item),
            None => Err(not_found()),
        }
    }

    /// Records of this resource from any query over its items (or its views).
    pub async fn page(
        &self,
        query: Query,
        limit: Option<usize>,
        cursor: Option<&str>,
        only: &[(String, String)],
    ) -> DomainResult<Page<R>> {
        let (items, next_cursor) = self.deps.page_where(query, limit, cursor, only).await?;
        let items = items
            .into_iter()
            .map(Record::from_item)
            .collect::<DomainResult<Vec<_>>>()?;
        Ok(Page { items, next_cursor })
    }

    pub async fn list(
        &self,
        parent_id: Option<&str>,
        filter: Filter,
        limit: Option<usize>,
        cursor: Option<&str>,
    ) -> DomainResult<Page<R>> {
        let parent_id = self.parent_ids(parent_id)?;
        let (query, only) = match (filter, R::PARENT, parent_id) {
            (Filter::Unique(u), _, _) => {
                return self.find_unique(&u, parent_id, limit, cursor).await;
            }
            (_, Some(parent), Some(pid)) => {
                self.require_parent(parent, pid).await?;
                let q = Query::table(format!("{parent}#{pid}"))
                    .sk(SkRange::BeginsWith(format!("{}#", R::KIND)));
                (q, Vec::new())
            }
            (Filter::SortPrefix(prefix), _, _) => (
                Query::index(Index::Gsi1, R::KIND).sk(SkRange::BeginsWith(prefix)),
                Vec::new(),
            ),
            (Filter::Index2 { pk, sk, only }, _, _) => (Query::index(Index::Gsi2, pk).sk(sk), only),
            (Filter::View { pk, sk, only }, _, _) => (Query::table(pk).sk(sk), only),
            (Filter::Range { sk, only }, _, _) => (Query::index(Index::Gsi1, R::KIND).sk(sk), only),
            _ => (Query::index(Index::Gsi1, R::KIND), Vec::new()),
        };
        self.page(query, limit, cursor, &only).await
    }

    async fn require_parent(&self, parent: &'static str, pid: &str) -> DomainResult<()> {
        if self
            .deps
            .store
            .get(&parent_key(parent, pid))
            .await?
            .is_none()
        {
            return Err(DomainError::NotFound {
                kind: parent,
                id: pid.to_string(),
            });
        }
        Ok(())
    }

    /// The one resource holding a unique value: a list of at most one item, which never has a
    /// next page (so no cursor is valid for it).
    async fn find_unique(
        &self,
        u: &Unique,
        parent_id: Option<&str>,
        limit: Option<usize>,
        cursor: Option<&str>,
    ) -> DomainResult<Page<R>> {
        check_limit(limit)?;
        if cursor.is_some() {
            return Err(DomainError::bad_request("cursor", "invalid cursor"));
        }
        let owner = self
            .deps
            .store
            .get(&unique_key::<R>(u))
            .await?
            .and_then(|item| {
                item.get("owner")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            });
        let items = match owner {
            Some(id) => match self.get(parent_id, &id).await {
                Ok(r) => vec![r],
                Err(DomainError::NotFound { .. }) => Vec::new(),
                Err(e) => return Err(e),
            },
            None => Vec::new(),
        };
        Ok(Page {
            items,
            next_cursor: None,
        })
    }

    /// The ids of the resources of `kind` that refer to resource `id`, paged.
    pub async fn referrers(
        &self,
        id: &str,
        kind: &str,
        limit: Option<usize>,
        cursor: Option<&str>,
    ) -> DomainResult<(Vec<String>, Option<String>)> {
        self.get(None, id).await?;
        let query = Query::table(format!("{}#{id}", R::KIND))
            .sk(SkRange::BeginsWith(format!("ref#{kind}#")));
        let (items, next) = self.deps.page(query, limit, cursor).await?;
        let ids = items
            .iter()
            .filter_map(|i| {
                i.get("referrer_id")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .collect();
        Ok((ids, next))
    }

    /// Applies a JSON Merge Patch (RFC 7396). With `if_match` the update happens only on that
    /// version (412 otherwise); without it a concurrent change is retried on fresh data. A
    /// patch that changes nothing writes nothing and answers the record as it is.
    pub async fn update(
        &self,
        parent_id: Option<&str>,
        id: &str,
        patch: &Value,
        if_match: Option<u64>,
    ) -> DomainResult<Record<R>> {
        self.update_by(parent_id, id, patch, if_match, None).await
    }

    /// [`Self::update`] made for `actor` (the caller's `sub`), which [`Resource::by`] may
    /// record.
    pub async fn update_by(
        &self,
        parent_id: Option<&str>,
        id: &str,
        patch: &Value,
        if_match: Option<u64>,
        actor: Option<&str>,
    ) -> DomainResult<Record<R>> {
        if !patch.is_object() {
            return Err(DomainError::invalid(
                "",
                "a merge patch must be a JSON object",
            ));
        }
        reject_read_only::<R>(patch)?;
        let parent_id = self.parent_ids(parent_id)?;
        for _ in 0..ATTEMPTS {
            let current = self.current(parent_id, id, if_match).await?;
            let mut doc = serde_json::to_value(&current.data)
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            json_patch::merge(&mut doc, patch);
            let mut data: R =
                crate::json::decode(doc).map_err(|e| DomainError::Validation(vec![e]))?;
            self.prepare(&mut data, Some(&current.data))?;
            if data == current.data {
                return Ok(current);
            }
            let mut tx = self.deps.tx();
            data.stamp(Some(&current.data), tx.now(), tx.today());
            if let Some(actor) = actor {
                data.by(Some(&current.data), actor);
            }
            let record = current.next(data, tx.now());
            tx.update(&current, &record);
            let change = Change {
                before: Some(&current),
                after: Some(&record),
                now: tx.now(),
            };
            R::plan(&change, &self.deps, &mut tx).await?;
            match tx.commit(self.deps.store.as_ref()).await {
                Ok(()) => return Ok(record),
                // With If-Match, the next attempt reads the item again and answers 412 if it moved.
                Err(e) if e.is_retryable() => continue,
                Err(e) => return Err(self.explain(e, if_match, parent_id, id).await),
            }
        }
        Err(self.busy())
    }

    /// Deletes the resource, its unique markers and its deletable sub-resources. Refused (409)
    /// while other resources refer to it or it holds protected records.
    pub async fn delete(
        &self,
        parent_id: Option<&str>,
        id: &str,
        if_match: Option<u64>,
    ) -> DomainResult<()> {
        let parent_id = self.parent_ids(parent_id)?;
        for _ in 0..ATTEMPTS {
            let current = self.current(parent_id, id, if_match).await?;
            if let Some(message) = current.data.undeletable() {
                return Err(DomainError::Conflict {
                    field: None,
                    message,
                });
            }
            let mut tx = self.deps.tx();
            tx.delete(&current);
            let change = Change {
                before: Some(&current),
                after: None,
                now: tx.now(),
            };
            R::plan(&change, &self.deps, &mut tx).await?;
            if R::PARENT.is_none() {
                self.refuse_if_kept(id).await?;
                for child in self.children(&item_key::<R>(None, id)).await? {
                    tx.push(crate::store::Write::delete(child), Blame::Moved);
                }
            }
            match tx.commit(self.deps.store.as_ref()).await {
                Ok(()) => return Ok(()),
                // With If-Match, the next attempt reads the item again and answers 412 if it moved.
                Err(e) if e.is_retryable() => continue,
                Err(e) => return Err(self.explain(e, if_match, parent_id, id).await),
            }
        }
        Err(self.busy())
    }

    async fn refuse_if_kept(&self, id: &str) -> DomainResult<()> {
        for child in R::PROTECTED_CHILDREN {
            let page = self
                .deps
                .store
                .query(
                    &Query::table(format!("{}#{id}", R::KIND))
                        .sk(SkRange::BeginsWith(format!("{child}#")))
                        .limit(1),
                )
                .await?;
            if !page.items.is_empty() {
                return Err(DomainError::Conflict {
                    field: None,
                    message: format!(
                        "the {} has {} records, which are kept; it cannot be deleted",
                        R::KIND,
                        child.replace('_', " ")
                    ),
                });
            }
        }
        Ok(())
    }

    /// The 409 for a resource still referred to, naming up to five referrers.
    async fn still_referenced(&self, id: &str) -> DomainResult<DomainError> {
        let page = self
            .deps
            .store
            .query(
                &Query::table(format!("{}#{id}", R::KIND))
                    .sk(SkRange::BeginsWith("ref#".into()))
                    .limit(5),
            )
            .await?;
        let names: Vec<String> = page
            .items
            .iter()
            .filter_map(|i| {
                Some(format!(
                    "{} {}",
                    i.get("referrer_kind")?.as_str()?,
                    i.get("referrer_id")?.as_str()?
                ))
            })
            .collect();
        Ok(DomainError::Conflict {
            field: None,
            message: format!(
                "the {} is still referred to by {}{}",
                R::KIND,
                if names.is_empty() {
                    "other records".to_string()
                } else {
                    names.join(", ")
                },
                if page.last_key.is_some() {
                    " and others"
                } else {
                    ""
                }
            ),
        })
    }

    /// Deletable items in the resource's partition (its sub-resources), but not the item,
    /// its reference counter, reference markers or protected history.
    async fn children(&self, key: &Key) -> DomainResult<Vec<Key>> {
        let page = self
            .deps
            .store
            .query(&Query::table(key.pk.clone()).limit(MAX_CHILDREN + 5))
            .await?;
        let keys: Vec<Key> = page
            .items
            .iter()
            .filter_map(Key::of)
            .filter(|k| k.sk != key.sk && k.sk != super::keys::REFS && !k.sk.starts_with("ref#"))
            .collect();
        if keys.len() > MAX_CHILDREN {
            return Err(DomainError::Conflict {
                field: None,
                message: format!(
                    "the {} has too many sub-resources to delete at once",
                    R::KIND
                ),
            });
        }
        Ok(keys)
    }

    /// Number of sub-resources of kind `R` under a parent; used to cap them (see MAX_CHILDREN).
    pub async fn count_children(&self, parent_id: &str) -> DomainResult<usize> {
        let Some(parent) = R::PARENT else {
            return Ok(0);
        };
        let page = self
            .deps
            .store
            .query(
                &Query::table(format!("{parent}#{parent_id}"))
                    .sk(SkRange::BeginsWith(format!("{}#", R::KIND)))
                    .limit(MAX_CHILDREN + 1),
            )
            .await?;
        Ok(page.items.len())
    }
}
