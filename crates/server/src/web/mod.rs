//! The axum application: routes, pages, cookies, CSRF, throttling.

use std::net::SocketAddr;

use crate::service::Nyckel;

/// What `nyckel demo` shows on the start page so that a newcomer can log in.
#[derive(Debug, Clone, Default)]
pub struct DemoInfo {
    pub user_id: String,
    pub password: String,
    /// (key number, code) pairs of the demo holder's key card.
    pub key_card: Vec<(String, String)>,
}

/// Serves until ctrl-c / SIGTERM, then finishes requests in flight.
pub async fn run(
    nyckel: Nyckel,
    listener: tokio::net::TcpListener,
    demo: Option<DemoInfo>,
) -> anyhow::Result<()> {
    let app = router(nyckel, demo);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}

pub fn router(_nyckel: Nyckel, _demo: Option<DemoInfo>) -> axum::Router {
    axum::Router::new()
}
