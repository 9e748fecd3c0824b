//! The admin's operational page: child-protection notification delivery (no clinical data).

use crate::ids;
use crate::operations::notification_delivery;
use leptos::prelude::*;

#[component]
pub fn AdminPage() -> impl IntoView {
    let notifications = Resource::new(|| (), |_| notification_delivery());
    view! {
        <h1 class="text-2xl font-semibold">"Operations"</h1>
        <section class="mt-4 rounded bg-white p-4 shadow">
            <h2 class="text-xl font-semibold">"Child-protection notifications"</h2>
            <p class="mt-1 text-sm text-slate-700">"Each is retried until the responsible organisation's system accepts it."</p>
            <Suspense fallback=|| view! { <p role="status">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match notifications.await {
                        Ok(rows) => view! {
                            <table data-testid=ids::NOTIFICATIONS class="mt-3 w-full text-left text-sm">
                                <thead><tr>
                                    <th class="px-2 py-1">"#"</th><th class="px-2 py-1">"Raised"</th>
                                    <th class="px-2 py-1">"To"</th><th class="px-2 py-1">"Status"</th>
                                    <th class="px-2 py-1">"Attempts"</th><th class="px-2 py-1">"Last error"</th>
                                </tr></thead>
                                <tbody>
                                    {rows.into_iter().map(|n| {
                                        let status = match &n.delivered {
                                            Some(at) => format!("Delivered {at}"),
                                            None => "Waiting to be delivered".to_owned(),
                                        };
                                        view! {
                                            <tr data-delivered=n.delivered.is_some().to_string()>
                                                <td class="px-2 py-1">{n.id}</td>
                                                <td class="px-2 py-1">{n.created}</td>
                                                <td class="px-2 py-1">{format!("{} ({})", n.recipient, n.source_id)}</td>
                                                <td class="px-2 py-1">{status}</td>
                                                <td class="px-2 py-1">{n.attempts}</td>
                                                <td class="px-2 py-1">{n.last_error.unwrap_or_default()}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(e) => view! { <p role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
