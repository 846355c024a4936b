//! Outgoing e-mail through an SMTP relay (lettre). Government networks relay mail through a
//! server on the local network, so the transport is plain SMTP to `--smtp-url`. Requests never send
//! themselves: they queue through [`crate::outbox`], whose worker calls [`Mailer::deliver`] and
//! retries; failures are logged without the recipient's address, which is personal data.

use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

#[derive(Clone)]
pub struct Mailer {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Option<Mailbox>,
}

impl Mailer {
    /// A mailer for `smtp://host:port`; `None` (or an unusable URL) gives one that only logs.
    pub fn new(smtp_url: Option<&str>, from: &str) -> Mailer {
        let transport = smtp_url.filter(|u| !u.is_empty()).and_then(|u| {
            let url = url::Url::parse(u).ok()?;
            let host = url.host_str()?.to_owned();
            let port = url.port().unwrap_or(25);
            Some(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host).port(port).build())
        });
        if smtp_url.is_some_and(|u| !u.is_empty()) && transport.is_none() {
            tracing::error!("--smtp-url is not a usable smtp://host:port URL; mail will not be sent");
        }
        Mailer { transport, from: from.parse().ok() }
    }

    pub fn is_configured(&self) -> bool {
        self.transport.is_some()
    }

    /// Sends now and reports the outcome (for jobs that count what they sent).
    pub async fn deliver(&self, to: &str, subject: &str, body: &str) -> Result<(), String> {
        self.deliver_list(to, subject, body, "").await
    }

    /// Sends list mail (subscription alerts): with an unsubscribe address, the message carries
    /// RFC 8058's `List-Unsubscribe` and `List-Unsubscribe-Post` headers, so mail programs offer
    /// one-click unsubscribing (a POST to that address without cookies).
    pub async fn deliver_list(&self, to: &str, subject: &str, body: &str, unsubscribe: &str) -> Result<(), String> {
        let (Some(t), Some(from)) = (&self.transport, &self.from) else {
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
        // The relay's own words follow, for the operator who has to mend it.
        t.send(msg).await.map(|_| ()).map_err(|e| format!("邮件服务器不可用或拒收：{e}"))
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
