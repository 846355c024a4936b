//! Operations on listings over the workflow kernel: posting through public intake (limits by
//! address and by contact, a verification code to the contact and a management code to keep),
//! verification, the poster's renewal and withdrawal, moderation, reader reports, contact
//! requests, and the clock that expires listings and sends renewal reminders. Every change of
//! state is one transition record; the messages it sends go through the outbox with it.

use platform::db::{Db, Exec, Scalar, sql};
use platform::intake;
use platform::web::error::FieldError;
use platform::web::{AppError, AppState, Ctx};
use platform::workflow::{self, Change, Effect, Flow, Transition};
use serde::{Deserialize, Serialize};

use crate::domain::{self, Action, Actor, Board, PostInput, State, VerifyBy};
use crate::store::{self, BoardRow, Contact, Listing};

pub static FLOW: Flow = Flow { name: "listing", table: "listing", versioned: true };

/// Postings per address per hour, and per contact per day.
pub const POSTS_PER_HOUR: i64 = 10;
pub const POSTS_PER_CONTACT_DAY: i64 = 5;
/// Contacts a visitor may open per hour.
pub const REVEALS_PER_HOUR: i64 = 30;
/// A new verification code no sooner than this after the last one.
pub const RESEND_AFTER_SECONDS: i64 = 60;

const DAY: i64 = 86_400;

/// What the poster is told after posting: the number, the management code (shown once, never
/// stored in clear) and where the verification code went.
#[derive(Debug, Clone, Serialize)]
pub struct Posted {
    pub no: String,
    pub code: String,
    pub sent_to: String,
}

fn six_digits() -> String {
    platform::security::random_digits(6)
}

fn masked_destination(by: VerifyBy, to: &str) -> String {
    match by {
        VerifyBy::Sms => platform::sms::Sms::mask(to),
        VerifyBy::Mail => domain::masked_contact("", "", to).2,
    }
}

/// The message carrying a verification code.
fn verify_effect(by: VerifyBy, to: &str, no: &str, code: &str) -> Effect {
    let text = format!(
        "您在政府门户网站供求信息栏目发布的信息（编号 {no}）的验证码为 {code}，30 分钟内有效。如非本人操作，请忽略。"
    );
    match by {
        VerifyBy::Sms => Effect::Sms { to: to.to_owned(), text },
        VerifyBy::Mail => {
            Effect::Mail { to: to.to_owned(), subject: format!("供求信息验证码（{no}）"), body: text }
        }
    }
}

/// A message to a listing's poster, by the channel the poster verified.
fn poster_effect(l: &Listing, subject: &str, text: String) -> Effect {
    match VerifyBy::parse(&l.verify_by).unwrap_or(VerifyBy::Sms) {
        VerifyBy::Sms => Effect::Sms { to: l.contact_phone.to_string(), text },
        VerifyBy::Mail => Effect::Mail { to: l.contact_email.to_string(), subject: subject.to_owned(), body: text },
    }
}

/// Files a posting on `board` from address `ip`: checked, limited, stored sealed and unverified,
/// with the verification code on its way. The management code is returned once.
pub async fn post(state: &AppState, board: &BoardRow, input: &PostInput, ip: &str) -> Result<Posted, AppError> {
    let mut p = domain::check(board.board(), board.max_days, input).map_err(AppError::Invalid)?;
    if p.verify_by == VerifyBy::Mail && !state.mailer.is_configured() {
        return Err(AppError::Invalid(vec![FieldError::new("verify_by", "本站暂未开通邮件发送，请选择短信验证")]));
    }
    let now = platform::db::now();
    let recent = state
        .db
        .count(sql("SELECT COUNT(*) FROM listing WHERE ip = $1 AND created_at > $2").bind(ip).bind(now - 3600))
        .await?;
    if recent >= POSTS_PER_HOUR {
        return Err(AppError::TooManyRequests("发布太频繁了，请一小时后再试".into()));
    }
    let contact_hash = platform::sealed::lookup_hash(p.verify_to());
    let today = state
        .db
        .count(
            sql("SELECT COUNT(*) FROM listing WHERE contact_hash = $1 AND created_at > $2")
                .bind(&contact_hash)
                .bind(now - DAY),
        )
        .await?;
    if today >= POSTS_PER_CONTACT_DAY {
        return Err(AppError::TooManyRequests(format!(
            "同一联系方式每天最多发布 {POSTS_PER_CONTACT_DAY} 条信息，请明天再试"
        )));
    }
    let verify_code = six_digits();
    let manage_code = intake::query_code();
    p.credit_code = p.credit_code.to_ascii_uppercase();
    let mut tx = state.db.begin().await?;
    let id = tx
        .fetch_one::<Scalar<i64>>(
            sql("INSERT INTO listing (no, board, kind, title, body, area, subject, pay_min, pay_max, quantity, price, credit_code, \
                 contact_name, contact_phone, contact_email, contact_hash, verify_by, verify_hash, verify_sent_at, code_hash, days, \
                 state, ip, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, 'unverified', $22, $23, $24) \
                 RETURNING id")
            .bind(intake::temporary_number())
            .bind(board.code.as_str())
            .bind(p.kind.code())
            .bind(&p.title)
            .bind(&p.body)
            .bind(&p.area)
            .bind(&p.subject)
            .bind(p.pay.map(|x| x.0))
            .bind(p.pay.map(|x| x.1))
            .bind(&p.quantity)
            .bind(&p.price)
            .bind(&p.credit_code)
            .bind(platform::sealed::seal(&p.contact_name))
            .bind(platform::sealed::seal(&p.contact_phone))
            .bind(platform::sealed::seal(&p.contact_email))
            .bind(&contact_hash)
            .bind(p.verify_by.code())
            .bind(intake::hash_code(&verify_code))
            .bind(now)
            .bind(intake::hash_code(&manage_code))
            .bind(p.days)
            .bind(ip)
            .bind(now)
            .bind(now),
        )
        .await?
        .0;
    let no = intake::assign_number(&mut tx, "listing", id, "GQ", 7).await?;
    let t = Transition {
        action: "post",
        from: "",
        to: State::Unverified.code(),
        step: 0,
        actor: "发布人",
        actor_id: None,
        comment: "",
    };
    workflow::record(&mut tx, &FLOW, id, &t, now).await?;
    let queued =
        workflow::queue_effects(state, &mut tx, &[verify_effect(p.verify_by, p.verify_to(), &no, &verify_code)])
            .await?;
    tx.commit().await?;
    if queued {
        state.wake_outbox();
    }
    Ok(Posted { no, code: manage_code, sent_to: masked_destination(p.verify_by, p.verify_to()) })
}

/// The listing a poster names by its number and management code (the same answer for a wrong
/// number and a wrong code, so numbers cannot be probed).
pub async fn by_code(db: &Db, no: &str, code: &str) -> Result<Listing, AppError> {
    let wrong = || AppError::Invalid(vec![FieldError::new("code", "编号或管理码不正确")]);
    if no.trim().is_empty() {
        return Err(AppError::Invalid(vec![FieldError::new("no", "请填写信息编号")]));
    }
    let l = store::by_no(db, no).await?.ok_or_else(wrong)?;
    if !platform::security::ct_eq(&l.code_hash, &intake::hash_code(code)) {
        return Err(wrong());
    }
    Ok(l)
}

/// One transition of a listing on the kernel; `false` from the kernel (a concurrent change) is a
/// conflict the user reads.
async fn apply(state: &AppState, change: Change<'_>) -> Result<(), AppError> {
    if workflow::apply(state, change).await? {
        Ok(())
    } else {
        Err(AppError::Conflict("这条信息刚被其他操作改变，请刷新后再试".into()))
    }
}

/// The poster enters the code sent to the contact: the listing goes to the moderator or shows.
pub async fn verify(state: &AppState, l: &Listing, code: &str) -> Result<State, AppError> {
    let board = store::board(&state.db, l.board()).await?;
    let to = domain::next(l.state(), Action::Verify, Actor::Poster, board.premoderated, "")
        .map_err(|e| AppError::Conflict(e.to_string()))?;
    let now = platform::db::now();
    let field = |m: &str| AppError::Invalid(vec![FieldError::new("verify_code", m)]);
    if now - l.verify_sent_at > domain::VERIFY_TTL_SECONDS {
        return Err(field("验证码已过期，请点击“重新发送验证码”"));
    }
    if l.verify_tries >= domain::VERIFY_MAX_TRIES {
        return Err(field("验证码错误次数过多，请点击“重新发送验证码”"));
    }
    if !platform::security::ct_eq(&l.verify_hash, &intake::hash_code(code)) {
        state.db.execute(sql("UPDATE listing SET verify_tries = verify_tries + 1 WHERE id = $1").bind(l.id)).await?;
        return Err(field("验证码不正确，请核对短信或邮件中的 6 位数字"));
    }
    let t = Transition {
        action: Action::Verify.code(),
        from: l.state().code(),
        to: to.code(),
        step: 0,
        actor: "发布人",
        actor_id: None,
        comment: "",
    };
    let mut change = Change::new(&FLOW, l.id, l.updated_at, t).set("verify_hash", "");
    if to == State::Visible {
        change = change.set("published_at", now).set("expires_at", now + l.days * DAY);
    }
    apply(state, change).await?;
    Ok(to)
}

/// A new verification code for an unverified listing (the old one stops working).
pub async fn resend(state: &AppState, l: &Listing) -> Result<String, AppError> {
    if l.state() != State::Unverified {
        return Err(AppError::Conflict("这条信息已经验证过了".into()));
    }
    let now = platform::db::now();
    if now - l.verify_sent_at < RESEND_AFTER_SECONDS {
        return Err(AppError::TooManyRequests("验证码刚刚发出，请一分钟后再试".into()));
    }
    let by = VerifyBy::parse(&l.verify_by).unwrap_or(VerifyBy::Sms);
    let to = match by {
        VerifyBy::Sms => l.contact_phone.to_string(),
        VerifyBy::Mail => l.contact_email.to_string(),
    };
    let code = six_digits();
    let mut tx = state.db.begin().await?;
    let n = tx
        .execute(
            sql("UPDATE listing SET verify_hash = $1, verify_tries = 0, verify_sent_at = $2 \
                 WHERE id = $3 AND state = 'unverified' AND verify_sent_at = $4")
            .bind(intake::hash_code(&code))
            .bind(now)
            .bind(l.id)
            .bind(l.verify_sent_at),
        )
        .await?;
    if n != 1 {
        return Err(AppError::Conflict("验证码刚刚发出，请查收".into()));
    }
    let queued = workflow::queue_effects(state, &mut tx, &[verify_effect(by, &to, &l.no, &code)]).await?;
    tx.commit().await?;
    if queued {
        state.wake_outbox();
    }
    Ok(masked_destination(by, &to))
}

/// The poster renews a live or expired listing for `days` from now.
pub async fn renew(state: &AppState, l: &Listing, days: &str) -> Result<State, AppError> {
    let board = store::board(&state.db, l.board()).await?;
    let days = days
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|d| domain::periods(board.max_days).contains(d))
        .ok_or_else(|| AppError::Invalid(vec![FieldError::new("days", "请选择续期的天数")]))?;
    let to = domain::next(l.state(), Action::Renew, Actor::Poster, board.premoderated, "")
        .map_err(|e| AppError::Conflict(e.to_string()))?;
    let now = platform::db::now();
    let t = Transition {
        action: Action::Renew.code(),
        from: l.state().code(),
        to: to.code(),
        step: 0,
        actor: "发布人",
        actor_id: None,
        comment: &format!("续期 {days} 天"),
    };
    let mut change = Change::new(&FLOW, l.id, l.updated_at, t).set("days", days).set("reminded", false);
    change = if to == State::Visible {
        change.set("expires_at", now + days * DAY)
    } else {
        // Waits for the moderator again; the period starts when it shows.
        change.set("expires_at", Option::<i64>::None)
    };
    apply(state, change).await?;
    Ok(to)
}

/// The poster takes the listing off.
pub async fn withdraw(state: &AppState, l: &Listing) -> Result<(), AppError> {
    let to = domain::next(l.state(), Action::Withdraw, Actor::Poster, false, "")
        .map_err(|e| AppError::Conflict(e.to_string()))?;
    let t = Transition {
        action: Action::Withdraw.code(),
        from: l.state().code(),
        to: to.code(),
        step: 0,
        actor: "发布人",
        actor_id: None,
        comment: "",
    };
    apply(state, Change::new(&FLOW, l.id, l.updated_at, t)).await
}

/// A moderator approves, rejects or takes down a listing; the poster is told.
pub async fn moderate(state: &AppState, ctx: &Ctx, l: &Listing, action: Action, comment: &str) -> Result<(), AppError> {
    let auth = ctx.auth.as_ref().ok_or(AppError::Unauthorized)?;
    let board = store::board(&state.db, l.board()).await?;
    let to = domain::next(l.state(), action, Actor::Moderator, board.premoderated, comment)
        .map_err(|e| AppError::Conflict(e.to_string()))?;
    let now = platform::db::now();
    let comment = comment.trim();
    let t = Transition {
        action: action.code(),
        from: l.state().code(),
        to: to.code(),
        step: 0,
        actor: &auth.user.display_name,
        actor_id: Some(auth.user.id),
        comment,
    };
    let mut change = Change::new(&FLOW, l.id, l.updated_at, t);
    let subject = format!("供求信息 {} 审核结果", l.no);
    match action {
        Action::Approve => {
            let until = if l.published_at.is_none() || l.expires_at.is_none() {
                let until = now + l.days * DAY;
                change = change.set("expires_at", until);
                if l.published_at.is_none() {
                    change = change.set("published_at", now);
                }
                until
            } else {
                l.expires_at.unwrap_or(now)
            };
            change = change.effect(poster_effect(
                l,
                &subject,
                format!(
                    "您发布的供求信息“{}”（编号 {}）已审核通过并公开，有效期至 {}。",
                    l.title,
                    l.no,
                    platform::fmt_date(until)
                ),
            ));
        }
        Action::Reject => {
            change = change.effect(poster_effect(
                l,
                &subject,
                format!("您发布的供求信息“{}”（编号 {}）未通过审核，理由：{}", l.title, l.no, comment),
            ));
        }
        Action::Hide => {
            change = change.effect(poster_effect(
                l,
                &subject,
                format!("您发布的供求信息“{}”（编号 {}）已暂时下架待核实，理由：{}", l.title, l.no, comment),
            ));
        }
        _ => {}
    }
    apply(state, change).await?;
    state
        .audit(
            ctx,
            &format!("listing.{}", action.code()),
            &format!("listing:{}", l.id),
            "success",
            format!("{} {}", l.no, comment),
        )
        .await;
    Ok(())
}

/// A reader's report (once per reader); hides the listing at the board's threshold.
pub async fn flag(state: &AppState, l: &Listing, voter: &str, reason: &str) -> Result<(), AppError> {
    if domain::flag_reason_label(reason).is_none() {
        return Err(AppError::Invalid(vec![FieldError::new("reason", "请选择举报原因")]));
    }
    if !l.is_live(platform::db::now()) {
        return Err(AppError::NotFound);
    }
    let board = store::board(&state.db, l.board()).await?;
    let mut tx = state.db.begin().await?;
    let added = match tx
        .execute(
            sql("INSERT INTO listing_flag (listing_id, voter, reason, at) VALUES ($1, $2, $3, $4)")
                .bind(l.id)
                .bind(voter)
                .bind(reason)
                .bind(platform::db::now()),
        )
        .await
    {
        Ok(n) => n,
        Err(e) if e.is_unique_violation() => 0,
        Err(e) => return Err(e.into()),
    };
    if added == 0 {
        return Ok(());
    }
    tx.execute(sql("UPDATE listing SET flags = flags + 1 WHERE id = $1").bind(l.id)).await?;
    let hides = domain::after_flag(State::Visible, l.flags + 1, board.hide_threshold) == State::Hidden;
    if hides {
        let now = platform::db::now();
        let n = tx
            .execute(
                sql("UPDATE listing SET state = 'hidden', updated_at = $1 WHERE id = $2 AND state = 'visible'")
                    .bind(now.max(l.updated_at + 1))
                    .bind(l.id),
            )
            .await?;
        if n == 1 {
            let t = Transition {
                action: "flagged",
                from: State::Visible.code(),
                to: State::Hidden.code(),
                step: 0,
                actor: "读者举报",
                actor_id: None,
                comment: &format!("举报达到 {} 次", board.hide_threshold),
            };
            workflow::record(&mut tx, &FLOW, l.id, &t, now).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// A visitor asks for a live listing's contact: counted, and limited per visitor.
pub async fn reveal(state: &AppState, l: &Listing, visitor: &str) -> Result<Contact, AppError> {
    let now = platform::db::now();
    if !l.is_live(now) {
        return Err(AppError::NotFound);
    }
    let recent = state
        .db
        .count(sql("SELECT COUNT(*) FROM listing_reveal WHERE visitor = $1 AND at > $2").bind(visitor).bind(now - 3600))
        .await?;
    if recent >= REVEALS_PER_HOUR {
        return Err(AppError::TooManyRequests(format!(
            "一小时内最多查看 {REVEALS_PER_HOUR} 条信息的联系方式，请稍后再试"
        )));
    }
    let mut tx = state.db.begin().await?;
    tx.execute(
        sql("INSERT INTO listing_reveal (listing_id, visitor, at) VALUES ($1, $2, $3)")
            .bind(l.id)
            .bind(visitor)
            .bind(now),
    )
    .await?;
    tx.execute(sql("UPDATE listing SET reveals = reveals + 1 WHERE id = $1").bind(l.id)).await?;
    tx.commit().await?;
    Ok(l.contact())
}

/// Counts a page view (best effort: a lost count is no error for the visitor).
pub async fn count_view(db: &Db, id: i64) {
    if let Err(e) = db.execute(sql("UPDATE listing SET views = views + 1 WHERE id = $1").bind(id)).await {
        tracing::debug!(error = %e, "listing view not counted");
    }
}

/// What a moderator may change of a board.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BoardInput {
    #[serde(default)]
    pub premoderated: bool,
    /// Reports that hide a listing (0: never).
    #[serde(default)]
    pub hide_threshold: i64,
    /// The longest period a poster may choose, in days (7–365).
    #[serde(default)]
    pub max_days: i64,
}

pub async fn update_board(state: &AppState, ctx: &Ctx, board: Board, input: &BoardInput) -> Result<(), AppError> {
    let mut errs = Vec::new();
    if !(0..=100).contains(&input.hide_threshold) {
        errs.push(FieldError::new("hide_threshold", "自动隐藏的举报次数应在 0 到 100 之间"));
    }
    if !(7..=365).contains(&input.max_days) {
        errs.push(FieldError::new("max_days", "最长有效期应在 7 到 365 天之间"));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    state
        .db
        .execute(
            sql("UPDATE listing_board SET premoderated = $1, hide_threshold = $2, max_days = $3, updated_at = $4 WHERE code = $5")
                .bind(input.premoderated)
                .bind(input.hide_threshold)
                .bind(input.max_days)
                .bind(platform::db::now())
                .bind(board.code()),
        )
        .await?;
    state
        .audit(
            ctx,
            "listing_board.update",
            &format!("listing_board:{}", board.code()),
            "success",
            format!(
                "{}：{}，举报 {} 次隐藏，最长 {} 天",
                board.label(),
                if input.premoderated { "先审后发" } else { "先发后审" },
                input.hide_threshold,
                input.max_days
            ),
        )
        .await;
    Ok(())
}

/// The clock, every minute on every node (each change is conditional, so nodes do not double
/// up): listings past their period expire; those about to expire remind their poster once, with
/// the renewal link.
pub async fn run_clock(state: &AppState, now: i64) -> Result<(usize, usize), AppError> {
    let due: Vec<Listing> = state
        .db
        .fetch_all(
            sql("SELECT * FROM listing WHERE state = 'visible' AND expires_at <= $1 ORDER BY id LIMIT 500").bind(now),
        )
        .await?;
    let mut expired = 0;
    for l in &due {
        let t = Transition {
            action: Action::Expire.code(),
            from: State::Visible.code(),
            to: State::Expired.code(),
            step: 0,
            actor: "系统",
            actor_id: None,
            comment: "",
        };
        if workflow::apply(state, Change::new(&FLOW, l.id, l.updated_at, t)).await? {
            expired += 1;
        }
    }
    let soon: Vec<Listing> = state
        .db
        .fetch_all(
            sql("SELECT * FROM listing WHERE state = 'visible' AND reminded = FALSE AND expires_at > $1 AND expires_at <= $2 \
                 ORDER BY id LIMIT 500")
            .bind(now)
            .bind(now + domain::REMIND_DAYS_BEFORE * DAY),
        )
        .await?;
    let origin = platform::web::portal::public_origin(state).await;
    let mut reminded = 0;
    for l in &soon {
        let mut tx = state.db.begin().await?;
        let n =
            tx.execute(sql("UPDATE listing SET reminded = TRUE WHERE id = $1 AND reminded = FALSE").bind(l.id)).await?;
        if n != 1 {
            continue;
        }
        let text = format!(
            "您发布的供求信息“{}”（编号 {}）将于 {} 到期。如需继续展示，请打开 {origin}/gongqiu/manage?no={} 输入管理码续期。",
            l.title,
            l.no,
            platform::fmt_date(l.expires_at.unwrap_or(now)),
            l.no
        );
        let queued = workflow::queue_effects(state, &mut tx, &[poster_effect(l, "供求信息即将到期", text)]).await?;
        tx.commit().await?;
        if queued {
            state.wake_outbox();
        }
        reminded += 1;
    }
    Ok((expired, reminded))
}

/// The poster's contact, sealed at rest.
pub const SEALED: platform::sealed::SealedColumns = platform::sealed::SealedColumns {
    table: "listing",
    columns: &["contact_name", "contact_phone", "contact_email"],
    hashes: &[],
};
