//! Table definitions shared by both backends. Written to the portable subset of SQL types
//! (BigInt, Integer, Text, Bool, Timestamp) so that one `table!` serves PostgreSQL and SQLite;
//! each backend's DDL lives in its own `migrations/` folder.

diesel::table! {
    organisations (id) {
        id -> BigInt,
        name -> Text,
        organisation_type -> Text,
        charity_number -> Nullable<Text>,
        company_number -> Nullable<Text>,
        annual_income_pence -> BigInt,
        address -> Nullable<Text>,
        postcode -> Text,
        website -> Nullable<Text>,
        contact_email -> Text,
        verified -> Bool,
        verified_at -> Nullable<Timestamp>,
        verified_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    organisation_health_boards (organisation_id, health_board) {
        organisation_id -> BigInt,
        health_board -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        name -> Text,
        role -> Text,
        organisation_id -> Nullable<BigInt>,
        password_hash -> Text,
        active -> Bool,
        password_changed_at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        family -> Text,
        token_hash -> Text,
        issued_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    password_resets (id) {
        id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        kind -> Text,
        recipient -> Text,
        subject -> Text,
        body -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        occurred_at -> Timestamp,
        actor_user_id -> Nullable<BigInt>,
        entity -> Text,
        entity_id -> BigInt,
        action -> Text,
        before_state -> Nullable<Text>,
        after_state -> Nullable<Text>,
    }
}

diesel::joinable!(organisation_health_boards -> organisations (organisation_id));
diesel::joinable!(users -> organisations (organisation_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(password_resets -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    organisations,
    organisation_health_boards,
    users,
    refresh_tokens,
    password_resets,
    outbox,
    audit_log,
);
