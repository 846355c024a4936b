//! Outgoing e-mail through an SMTP relay (lettre). Government networks relay mail through a
//! server on the local network, so the transport is plain SMTP to `--smtp-url`. Requests never send
//! themselves: they queue through [`crate::outbox`], whose worker calls [`Mailer::deliver`] and
//! retries; failures are logged without the recipient's address, which is personal data.

use lettre::Message;
use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::extension::ClientId;

/// The relay is reached over kept-open connections: up to [`RELAY_CONNECTIONS`] deliveries run at
/// once (a bulk alert to 100,000 subscribers is otherwise one SMTP exchange at a time, bound by
/// round trips rather than by either side's work), each on a connection taken from the idle list
/// and put back after a good exchange. The socket is opened here rather than by lettre's transport
/// so that it can say `TCP_NODELAY`: lettre writes a message's body and its closing dot separately,
/// and with Nagle's algorithm the dot then waits out the relay's delayed acknowledgement (40 ms) —
/// 25 messages a second, an hour for a bulk alert.
#[derive(Clone)]
pub struct Mailer {
    relay: Option<(String, u16)>,
    from: Option<Mailbox>,
    idle: std::sync::Arc<std::sync::Mutex<Vec<AsyncSmtpConnection>>>,
}

/// How many connections to the relay are open at most (and so how many messages are in flight).
/// Relays commonly allow 10–20 connections per client; four keep a loopback or LAN relay busy.
pub const RELAY_CONNECTIONS: usize = 4;

/// How long connecting to the relay and its greeting may take.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

impl Mailer {
    /// A mailer for `smtp://host:port`; `None` (or an unusable URL) gives one that only logs.
    pub fn new(smtp_url: Option<&str>, from: &str) -> Mailer {
        let relay = smtp_url.filter(|u| !u.is_empty()).and_then(|u| {
            let url = url::Url::parse(u).ok()?;
            Some((url.host_str()?.to_owned(), url.port().unwrap_or(25)))
        });
        if smtp_url.is_some_and(|u| !u.is_empty()) && relay.is_none() {
            tracing::error!("--smtp-url is not a usable smtp://host:port URL; mail will not be sent");
        }
        Mailer { relay, from: from.parse().ok(), idle: Default::default() }
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, String> {
        let (host, port) = self.relay.as_ref().ok_or("未配置邮件服务器")?;
        let open = async {
            let stream = tokio::net::TcpStream::connect((host.as_str(), *port)).await.map_err(|e| e.to_string())?;
            stream.set_nodelay(true).map_err(|e| e.to_string())?;
            AsyncSmtpConnection::connect_with_transport(Box::new(stream), &ClientId::default())
                .await
                .map_err(|e| e.to_string())
        };
        match tokio::time::timeout(CONNECT_TIMEOUT, open).await {
            Ok(r) => r.map_err(|e| format!("邮件服务器不可用或拒收：{e}")),
            Err(_) => Err("邮件服务器不可用或拒收：连接超时".into()),
        }
    }

    pub fn is_configured(&self) -> bool {
        self.relay.is_some()
    }

    /// Sends now and reports the outcome (for jobs that count what they sent).
    pub async fn deliver(&self, to: &str, subject: &str, body: &str) -> Result<(), String> {
        self.deliver_list(to, subject, body, "").await
    }

    /// Sends list mail (subscription alerts): with an unsubscribe address, the message carries
    /// RFC 8058's `List-Unsubscribe` and `List-Unsubscribe-Post` headers, so mail programs offer
    /// one-click unsubscribing (a POST to that address without cookies).
    pub async fn deliver_list(&self, to: &str, subject: &str, body: &str, unsubscribe: &str) -> Result<(), String> {
        let (Some(_), Some(from)) = (&self.relay, &self.from) else {
            return Err("未配置邮件服务器".into());
        };
        let to: Mailbox = to.parse().map_err(|_| "收件地址无效".to_owned())?;
        let mut builder = Message::builder().from(from.clone()).to(to).subject(subject).header(ContentType::TEXT_PLAIN);
        if !unsubscribe.is_empty() {
            builder = builder
                .header(ListUnsubscribe(format!("<{unsubscribe}>")))
                .header(ListUnsubscribePost("List-Unsubscribe=One-Click".into()));
        }
        let msg = builder.body(body.to_owned()).map_err(|e| e.to_string())?;
        let (envelope, bytes) = (msg.envelope().clone(), msg.formatted());
        // A kept connection the relay has since closed fails at once: try once more on a new one.
        for attempt in 0..2 {
            let kept = self.idle.lock().map(|mut idle| idle.pop()).unwrap_or(None);
            let mut conn = match kept {
                Some(c) => c,
                None => self.connect().await?,
            };
            match conn.send(&envelope, &bytes).await {
                Ok(_) => {
                    if let Ok(mut idle) = self.idle.lock()
                        && idle.len() < RELAY_CONNECTIONS
                    {
                        idle.push(conn);
                    }
                    return Ok(());
                }
                Err(e) if attempt == 1 || e.is_permanent() => {
                    // The relay's own words follow, for the operator who has to mend it.
                    return Err(format!("邮件服务器不可用或拒收：{e}"));
                }
                Err(_) => {}
            }
        }
        Err("邮件服务器不可用或拒收".into())
    }
}

/// Defines a header lettre does not know, carried as its text.
macro_rules! text_header {
    ($ty:ident, $name:literal) => {
        #[derive(Debug, Clone)]
        struct $ty(String);

        impl lettre::message::header::Header for $ty {
            fn name() -> lettre::message::header::HeaderName {
                lettre::message::header::HeaderName::new_from_ascii_str($name)
            }
            fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
                Ok($ty(s.to_owned()))
            }
            fn display(&self) -> lettre::message::header::HeaderValue {
                lettre::message::header::HeaderValue::new(Self::name(), self.0.clone())
            }
        }
    };
}

text_header!(ListUnsubscribe, "List-Unsubscribe");
text_header!(ListUnsubscribePost, "List-Unsubscribe-Post");
