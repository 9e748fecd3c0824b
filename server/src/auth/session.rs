//! Server-side sessions: a random id in an HttpOnly cookie names a session held here, which
//! ends after the idle timeout, at its absolute lifetime, or at sign-out.

use super::roles::RoleGrant;
use crate::web::random_token;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Who signed in, as the identity provider vouched for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffUser {
    pub user_id: String,
    pub name: String,
    pub issuer_id: String,
    pub grants: Vec<RoleGrant>,
}

/// One signed-in browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: StaffUser,
    /// Index into `user.grants`; `None` until a role is chosen.
    pub active: Option<usize>,
    /// Must come back with every form that changes state.
    pub csrf_token: String,
    created: Instant,
    last_seen: Instant,
}

impl Session {
    pub fn active_grant(&self) -> Option<&RoleGrant> {
        self.active.and_then(|i| self.user.grants.get(i))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("you are not signed in, or your session has ended")]
    NoSession,
    #[error("that role is not one of yours")]
    NoSuchRole,
}

pub struct SessionStore {
    sessions: Mutex<HashMap<String, Session>>,
    idle: Duration,
    max: Duration,
}

/// Above this many sessions, ended ones are swept out when a new one starts.
const SWEEP_ABOVE: usize = 10_000;

impl SessionStore {
    pub fn new(idle: Duration, max: Duration) -> Self {
        Self {
            sessions: Mutex::new(HashMap::new()),
            idle,
            max,
        }
    }

    /// Starts a session; the role is chosen at once when there is exactly one.
    pub fn start(&self, user: StaffUser) -> (String, Session) {
        self.start_at(user, Instant::now())
    }

    /// The session named by `id` if it is still live, marking it used now.
    pub fn touch(&self, id: &str) -> Option<Session> {
        self.touch_at(id, Instant::now())
    }

    /// Makes grant `index` the active role.
    pub fn choose_role(&self, id: &str, index: usize) -> Result<Session, SessionError> {
        let now = Instant::now();
        let mut sessions = self.lock();
        let session = live(&mut sessions, id, now, self.idle, self.max)?;
        if index >= session.user.grants.len() {
            return Err(SessionError::NoSuchRole);
        }
        session.active = Some(index);
        Ok(session.clone())
    }

    /// Ends the session (sign-out).
    pub fn end(&self, id: &str) {
        self.lock().remove(id);
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn start_at(&self, user: StaffUser, now: Instant) -> (String, Session) {
        let session = Session {
            active: (user.grants.len() == 1).then_some(0),
            user,
            csrf_token: random_token(),
            created: now,
            last_seen: now,
        };
        let id = random_token();
        let mut sessions = self.lock();
        if sessions.len() > SWEEP_ABOVE {
            let (idle, max) = (self.idle, self.max);
            sessions.retain(|_, s| !ended(s, now, idle, max));
        }
        sessions.insert(id.clone(), session.clone());
        (id, session)
    }

    fn touch_at(&self, id: &str, now: Instant) -> Option<Session> {
        let mut sessions = self.lock();
        live(&mut sessions, id, now, self.idle, self.max)
            .ok()
            .cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The live session `id`, touched at `now`; an ended one is removed.
fn live<'a>(
    sessions: &'a mut HashMap<String, Session>,
    id: &str,
    now: Instant,
    idle: Duration,
    max: Duration,
) -> Result<&'a mut Session, SessionError> {
    let is_ended = sessions
        .get(id)
        .map(|s| ended(s, now, idle, max))
        .ok_or(SessionError::NoSession)?;
    if is_ended {
        sessions.remove(id);
        return Err(SessionError::NoSession);
    }
    let session = sessions.get_mut(id).ok_or(SessionError::NoSession)?;
    session.last_seen = now;
    Ok(session)
}

fn ended(session: &Session, now: Instant, idle: Duration, max: Duration) -> bool {
    now.saturating_duration_since(session.last_seen) >= idle
        || now.saturating_duration_since(session.created) >= max
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::auth::Role;

    fn user(roles: &[Role]) -> StaffUser {
        StaffUser {
            user_id: "u1".into(),
            name: "Dr Test".into(),
            issuer_id: "demo".into(),
            grants: roles
                .iter()
                .map(|r| RoleGrant {
                    role: *r,
                    organisation: None,
                })
                .collect(),
        }
    }

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn idle_timeout_and_absolute_lifetime() {
        let store = SessionStore::new(15 * MIN, 60 * MIN);
        let t0 = Instant::now();
        let (id, _) = store.start_at(user(&[Role::AeClinician]), t0);
        // (minutes since start at which the session is used, still live?)
        let steps = [(14, true), (28, true), (42, true), (56, true), (60, false)];
        for (minutes, live) in steps {
            let at = t0 + minutes * MIN;
            assert_eq!(store.touch_at(&id, at).is_some(), live, "at {minutes} min");
        }
        let (id, _) = store.start_at(user(&[Role::AeClinician]), t0);
        assert!(store.touch_at(&id, t0 + 14 * MIN).is_some());
        assert!(store.touch_at(&id, t0 + 30 * MIN).is_none(), "idle 16 min");
        assert!(store.touch_at(&id, t0 + 31 * MIN).is_none(), "stays ended");
    }

    #[test]
    fn roles_sign_out_and_unknown_ids() {
        let store = SessionStore::new(15 * MIN, 60 * MIN);
        let (one, s) = store.start(user(&[Role::CallHandler]));
        assert_eq!(s.active_grant().map(|g| g.role), Some(Role::CallHandler));
        let (two, s) = store.start(user(&[Role::AeClinician, Role::UrgentCareClinician]));
        assert_eq!(s.active, None, "several roles: the person chooses");
        assert_eq!(store.choose_role(&two, 2), Err(SessionError::NoSuchRole));
        let chosen = store.choose_role(&two, 1).unwrap();
        assert_eq!(
            chosen.active_grant().map(|g| g.role),
            Some(Role::UrgentCareClinician)
        );
        assert_eq!(store.choose_role("nope", 0), Err(SessionError::NoSession));
        assert!(store.touch("nope").is_none());
        assert_ne!(one, two);
        assert_eq!(one.len(), 64);
        store.end(&one);
        assert!(store.touch(&one).is_none());
        assert!(store.touch(&two).is_some());
    }
}
