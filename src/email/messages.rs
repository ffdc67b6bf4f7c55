//! The text of each email the service sends.

use crate::email::outbox::NewEmail;

pub fn welcome(recipient: &str, name: &str, organisation: &str, public_url: &str) -> NewEmail {
    NewEmail {
        kind: "welcome",
        recipient: recipient.to_owned(),
        subject: "Your grant fund account is ready".to_owned(),
        body: format!(
            "Dear {name},\n\n\
             Your account for {organisation} has been created. You can now sign in at\n\
             {public_url} to draft and submit applications to open funding rounds.\n\n\
             Before an award can be made, the fund administrator will check your organisation's\n\
             details (due diligence). Please keep them up to date.\n\n\
             If you did not create this account, please reply to this email.\n"
        ),
    }
}

pub fn password_reset(
    recipient: &str,
    name: &str,
    token: &str,
    public_url: &str,
    valid_minutes: u64,
) -> NewEmail {
    NewEmail {
        kind: "password_reset",
        recipient: recipient.to_owned(),
        subject: "Reset your grant fund password".to_owned(),
        body: format!(
            "Dear {name},\n\n\
             Someone asked to reset the password of your grant fund account. To choose a new\n\
             password, open this link within {valid_minutes} minutes:\n\n\
             {public_url}/reset-password?token={token}\n\n\
             or send this code with your new password to POST /api/v1/auth/password-reset/confirm:\n\n\
             {token}\n\n\
             The link works once. If you did not ask for this, you can ignore this email: your\n\
             password has not changed.\n"
        ),
    }
}
