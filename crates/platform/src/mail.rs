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
        let (Some(t), Some(from)) = (&self.transport, &self.from) else {
            return Err("未配置邮件服务器".into());
        };
        let to: Mailbox = to.parse().map_err(|_| "收件地址无效".to_owned())?;
        let msg = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned())
            .map_err(|e| e.to_string())?;
        // The relay's own words follow, for the operator who has to mend it.
        t.send(msg).await.map(|_| ()).map_err(|e| format!("邮件服务器不可用或拒收：{e}"))
    }
}
