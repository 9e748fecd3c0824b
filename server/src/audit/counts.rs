//! The access report's counts, made by the database: one grouped query each for the days,
//! the users, the same-surname accesses and the refusals of a period, written and run once
//! over any sqlx database ([`Queries`]). Each event's UK local time is its UTC time plus the
//! offset of the stretch of the period it falls in, so the database can tell the day and
//! whether it was out of hours without a time-zone table; only a few hundred grouped rows
//! come back, however long the period (reading every event into the portal cost seconds at
//! 300,000 accesses).

use super::reports::ACCESS_KINDS;
use crate::sql_row::from_row;
use sqlx::{Database, Encode, Executor, FromRow, IntoArguments, Pool, QueryBuilder, Type};

/// What to count: successful record accesses (and refusals) from `from_ms` to `to_ms`
/// inclusive, on the UK clock `clock`, in hours from `start_minute` (inclusive) to
/// `end_minute` (exclusive) of a weekday.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessCount {
    pub from_ms: i64,
    pub to_ms: i64,
    /// `(until_ms, offset_ms)`: the UK clock is `offset_ms` ahead of UTC before `until_ms`
    /// (and after the previous pair's); the last pair holds to the end of the period.
    pub clock: Vec<(i64, i64)>,
    pub start_minute: i64,
    pub end_minute: i64,
}

impl AccessCount {
    /// What an access report asks the store to count: its period from the start of its first
    /// UK day to the end of its last, on the UK clock, against its working day.
    pub fn for_report(spec: &super::reports::ReportSpec) -> Option<Self> {
        let from_ms = crate::uk_time::day_start_ms(&spec.from.to_string())?;
        let to_ms = crate::uk_time::day_end_ms(&spec.to.to_string())?;
        let (start_minute, end_minute) = spec.hours.minutes();
        Some(Self {
            from_ms,
            to_ms,
            clock: crate::uk_time::offsets(from_ms, to_ms),
            start_minute,
            end_minute,
        })
    }
}

/// Accesses on one UK local day (days since 1970-01-01).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayRow {
    pub day: i64,
    pub accesses: i64,
    pub out_of_hours: i64,
    pub emergency: i64,
}

from_row!(DayRow {
    day,
    accesses,
    out_of_hours,
    emergency
});

/// One user's accesses in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub user_id: String,
    pub user_name: String,
    pub organisation: Option<String>,
    pub accesses: i64,
    pub emergency: i64,
    pub out_of_hours: i64,
    /// Different patients opened.
    pub patients: i64,
}

from_row!(UserRow {
    user_id,
    user_name,
    organisation,
    accesses,
    emergency,
    out_of_hours,
    patients
});

/// One user's accesses to one patient sharing their surname.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurnameRow {
    pub user_id: String,
    pub user_name: String,
    pub nhs_number: String,
    pub accesses: i64,
    pub last_ms: i64,
}

from_row!(SurnameRow {
    user_id,
    user_name,
    nhs_number,
    accesses,
    last_ms
});

/// Refused requests of one kind ("" for those written before kinds were named).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusalRow {
    pub refusal: String,
    pub count: i64,
}

from_row!(RefusalRow { refusal, count });

/// Everything the access report counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessCounts {
    pub days: Vec<DayRow>,
    pub users: Vec<UserRow>,
    pub surnames: Vec<SurnameRow>,
    pub refusals: Vec<RefusalRow>,
}

/// The four grouped queries of one count, built for the store's database and run together by
/// [`Queries::fetch`]. The store holds them while they run: sqlx ties a built query's
/// arguments to the borrow of its builder, and generic code cannot keep a builder of its own
/// borrowed that long (the borrow checker cannot tell that any database's arguments are
/// harmless to drop), while a caller's concrete builder can be.
pub struct Queries<'q, DB: Database> {
    days: QueryBuilder<'q, DB>,
    users: QueryBuilder<'q, DB>,
    surnames: QueryBuilder<'q, DB>,
    refusals: QueryBuilder<'q, DB>,
}

impl<'q, DB: Database> Queries<'q, DB>
where
    i64: Encode<'q, DB> + Type<DB>,
{
    /// The queries that count `count`.
    pub fn new(count: &AccessCount) -> Self {
        Self {
            days: days(count),
            users: users(count),
            surnames: surnames(count),
            refusals: refusals(count),
        }
    }
}

impl<'q, DB> Queries<'q, DB>
where
    DB: Database,
    DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'r> DayRow: FromRow<'r, DB::Row>,
    for<'r> UserRow: FromRow<'r, DB::Row>,
    for<'r> SurnameRow: FromRow<'r, DB::Row>,
    for<'r> RefusalRow: FromRow<'r, DB::Row>,
{
    /// Runs the four at once, each on its own connection from `pool`; borrows the queries for
    /// as long as their arguments (`'q`), so they are used up.
    pub async fn fetch(&'q mut self, pool: &Pool<DB>) -> Result<AccessCounts, sqlx::Error> {
        let (days, users, surnames, refusals) = futures::try_join!(
            self.days.build_query_as().fetch_all(pool),
            self.users.build_query_as().fetch_all(pool),
            self.surnames.build_query_as().fetch_all(pool),
            self.refusals.build_query_as().fetch_all(pool),
        )?;
        Ok(AccessCounts {
            days,
            users,
            surnames,
            refusals,
        })
    }
}

/// Accesses per UK day.
fn days<'a, DB: Database>(count: &AccessCount) -> QueryBuilder<'a, DB>
where
    i64: Encode<'a, DB> + Type<DB>,
{
    let mut query = QueryBuilder::new(
        "SELECT day, COUNT(*) AS accesses, SUM(late) AS out_of_hours, SUM(urgent) AS emergency FROM ",
    );
    push_accesses(&mut query, count);
    query.push(" GROUP BY day");
    query
}

/// Accesses per user, with the different patients each opened.
fn users<'a, DB: Database>(count: &AccessCount) -> QueryBuilder<'a, DB>
where
    i64: Encode<'a, DB> + Type<DB>,
{
    let mut query = QueryBuilder::new(
        "SELECT user_id, MAX(user_name) AS user_name, MAX(organisation) AS organisation, \
         COUNT(*) AS accesses, SUM(urgent) AS emergency, SUM(late) AS out_of_hours, \
         COUNT(DISTINCT nhs_number) AS patients FROM ",
    );
    push_accesses(&mut query, count);
    query.push(" GROUP BY user_id");
    query
}

/// Accesses to records of patients sharing the user's surname, per user and patient.
fn surnames<'a, DB: Database>(count: &AccessCount) -> QueryBuilder<'a, DB>
where
    i64: Encode<'a, DB> + Type<DB>,
{
    let mut query = QueryBuilder::new(
        "SELECT user_id, MAX(user_name) AS user_name, nhs_number, COUNT(*) AS accesses, \
         MAX(at_ms) AS last_ms FROM audit_events WHERE ",
    );
    push_period(&mut query, count);
    query.push(" AND same_surname = TRUE AND nhs_number IS NOT NULL GROUP BY user_id, nhs_number");
    query
}

/// Refused requests per kind of refusal.
fn refusals<'a, DB: Database>(count: &AccessCount) -> QueryBuilder<'a, DB>
where
    i64: Encode<'a, DB> + Type<DB>,
{
    let mut query = QueryBuilder::new(
        "SELECT COALESCE(refusal, '') AS refusal, COUNT(*) AS count FROM audit_events WHERE \
         at_ms >= ",
    );
    query
        .push_bind(count.from_ms)
        .push(" AND at_ms <= ")
        .push_bind(count.to_ms)
        .push(" AND outcome = 'refused' GROUP BY COALESCE(refusal, '')");
    query
}

/// The period's successful accesses as a derived table `a`: each with its UK `day`, whether it
/// was out of hours (`late`) and on the emergency basis (`urgent`), 1 or 0.
fn push_accesses<'a, DB: Database>(query: &mut QueryBuilder<'a, DB>, count: &AccessCount)
where
    i64: Encode<'a, DB> + Type<DB>,
{
    // 1970-01-01 was a Thursday: (day + 4) % 7 is 0 on Sundays and 6 on Saturdays.
    query.push(
        "(SELECT local_ms / 86400000 AS day, \
         CASE WHEN (local_ms / 86400000 + 4) % 7 IN (0, 6) \
         OR (local_ms % 86400000) / 60000 < ",
    );
    query
        .push_bind(count.start_minute)
        .push(" OR (local_ms % 86400000) / 60000 >= ")
        .push_bind(count.end_minute)
        .push(
            " THEN 1 ELSE 0 END AS late, \
             CASE WHEN kind = 'emergency-access' THEN 1 ELSE 0 END AS urgent, \
             user_id, user_name, organisation, nhs_number FROM (SELECT at_ms + ",
        );
    push_offset(query, &count.clock);
    query.push(
        " AS local_ms, kind, user_id, user_name, organisation, nhs_number FROM audit_events \
         WHERE ",
    );
    push_period(query, count);
    query.push(") e) a");
}

/// The period's successful record accesses, as a `WHERE` condition.
fn push_period<'a, DB: Database>(query: &mut QueryBuilder<'a, DB>, count: &AccessCount)
where
    i64: Encode<'a, DB> + Type<DB>,
{
    let kinds: Vec<String> = ACCESS_KINDS
        .iter()
        .map(|k| format!("'{}'", k.as_str()))
        .collect();
    query
        .push("at_ms >= ")
        .push_bind(count.from_ms)
        .push(" AND at_ms <= ")
        .push_bind(count.to_ms)
        .push(format!(
            " AND outcome = 'success' AND kind IN ({})",
            kinds.join(", ")
        ));
}

/// `CASE WHEN at_ms < until THEN offset ... ELSE last offset END`: the UK clock's offset.
fn push_offset<'a, DB: Database>(query: &mut QueryBuilder<'a, DB>, clock: &[(i64, i64)])
where
    i64: Encode<'a, DB> + Type<DB>,
{
    let Some(((_, last), earlier)) = clock.split_last() else {
        query.push("0");
        return;
    };
    if earlier.is_empty() {
        query.push_bind(*last);
        return;
    }
    query.push("CASE");
    for (until, offset) in earlier {
        query
            .push(" WHEN at_ms < ")
            .push_bind(*until)
            .push(" THEN ")
            .push_bind(*offset);
    }
    query.push(" ELSE ").push_bind(*last).push(" END");
}
