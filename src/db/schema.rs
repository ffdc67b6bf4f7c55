//! Table definitions shared by both backends. Written to the portable subset of SQL types
//! (BigInt, Integer, Text, Bool, Timestamp, Date) so that one `table!` serves PostgreSQL and SQLite;
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
        listed_in_directory -> Bool,
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
        deletion_requested_at -> Nullable<Timestamp>,
        session_generation -> BigInt,
        unit_id -> Nullable<BigInt>,
        health_board -> Nullable<Text>,
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
        user_agent -> Nullable<Text>,
        factor_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    user_factors (user_id) {
        user_id -> BigInt,
        secret_sealed -> Text,
        created_at -> Timestamp,
        confirmed_at -> Nullable<Timestamp>,
        last_used_step -> Nullable<BigInt>,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> BigInt,
        user_id -> BigInt,
        code_hash -> Text,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sign_in_events (id) {
        id -> BigInt,
        user_id -> BigInt,
        outcome -> Text,
        client -> Text,
        user_agent -> Nullable<Text>,
        occurred_at -> Timestamp,
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
        secret -> Bool,
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

diesel::table! {
    funds (id) {
        id -> BigInt,
        name -> Text,
        code -> Text,
        funder_name -> Text,
        funder_org_id -> Text,
        administrator_name -> Text,
        administrator_org_id -> Text,
        currency -> Text,
        programme_start -> Date,
        programme_end -> Date,
        reach_target -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        kind -> Text,
    }
}

diesel::table! {
    fund_years (fund_id, financial_year) {
        fund_id -> BigInt,
        financial_year -> Text,
        limit_pence -> BigInt,
        approved -> Bool,
        committed_pence -> BigInt,
        paid_pence -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    rounds (id) {
        id -> BigInt,
        fund_id -> BigInt,
        name -> Text,
        component -> Text,
        opens_at -> Timestamp,
        closes_at -> Timestamp,
        min_request_pence -> BigInt,
        max_request_pence -> BigInt,
        max_applicant_income_pence -> Nullable<BigInt>,
        assessments_required -> Integer,
        return_frequency -> Text,
        guidance -> Nullable<Text>,
        criteria_frozen_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    round_forms (round_id) {
        round_id -> BigInt,
        form -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    application_answers (application_id) {
        application_id -> BigInt,
        answers -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    information_requests (id) {
        id -> BigInt,
        application_id -> BigInt,
        question -> Text,
        asked_by -> BigInt,
        asked_at -> Timestamp,
        answer -> Nullable<Text>,
        answered_by -> Nullable<BigInt>,
        answered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    round_years (round_id, financial_year) {
        round_id -> BigInt,
        fund_id -> BigInt,
        financial_year -> Text,
    }
}

diesel::table! {
    criteria (id) {
        id -> BigInt,
        round_id -> BigInt,
        name -> Text,
        guidance -> Nullable<Text>,
        weight_ten_thousandths -> BigInt,
        max_score -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    applications (id) {
        id -> BigInt,
        round_id -> BigInt,
        organisation_id -> BigInt,
        created_by -> BigInt,
        status -> Text,
        title -> Text,
        summary -> Nullable<Text>,
        description -> Nullable<Text>,
        peer_support -> Nullable<Bool>,
        equality_impact -> Nullable<Text>,
        submitted_at -> Nullable<Timestamp>,
        submitted_by -> Nullable<BigInt>,
        withdrawn_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        anonymised_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    application_requests (application_id, financial_year) {
        application_id -> BigInt,
        financial_year -> Text,
        amount_pence -> BigInt,
    }
}

diesel::table! {
    application_choices (application_id, list, value) {
        application_id -> BigInt,
        list -> Text,
        value -> Text,
    }
}

diesel::table! {
    assignments (id) {
        id -> BigInt,
        application_id -> BigInt,
        assessor_id -> BigInt,
        status -> Text,
        conflict_reason -> Nullable<Text>,
        declared_at -> Nullable<Timestamp>,
        submitted_at -> Nullable<Timestamp>,
        weighted_score_hundredths -> Nullable<BigInt>,
        assigned_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    scores (assignment_id, criterion_id) {
        assignment_id -> BigInt,
        criterion_id -> BigInt,
        score -> Integer,
        comment -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    moderations (application_id) {
        application_id -> BigInt,
        original_hundredths -> BigInt,
        moderated_hundredths -> BigInt,
        reason -> Text,
        moderated_by -> BigInt,
        moderated_at -> Timestamp,
    }
}

diesel::table! {
    awards (id) {
        id -> BigInt,
        application_id -> BigInt,
        fund_id -> BigInt,
        round_id -> BigInt,
        organisation_id -> BigInt,
        reference -> Text,
        reference_year -> Integer,
        sequence -> Integer,
        status -> Text,
        responded_at -> Nullable<Timestamp>,
        responded_by -> Nullable<BigInt>,
        ended_at -> Nullable<Timestamp>,
        ended_by -> Nullable<BigInt>,
        end_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    decisions (application_id) {
        application_id -> BigInt,
        outcome -> Text,
        conditions -> Nullable<Text>,
        feedback -> Nullable<Text>,
        decided_by -> BigInt,
        decided_at -> Timestamp,
    }
}

diesel::table! {
    instalments (award_id, financial_year) {
        award_id -> BigInt,
        fund_id -> BigInt,
        financial_year -> Text,
        amount_pence -> BigInt,
        status -> Text,
        released_at -> Nullable<Timestamp>,
        released_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    idempotency_keys (user_id, idempotency_key) {
        user_id -> BigInt,
        idempotency_key -> Text,
        fingerprint -> Text,
        response_status -> Integer,
        response_body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    returns (id) {
        id -> BigInt,
        award_id -> BigInt,
        financial_year -> Nullable<Text>,
        period_start -> Date,
        period_end -> Date,
        due_date -> Date,
        status -> Text,
        submitted_at -> Nullable<Timestamp>,
        submitted_by -> Nullable<BigInt>,
        reviewed_at -> Nullable<Timestamp>,
        reviewed_by -> Nullable<BigInt>,
        review_comment -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    return_contents (return_id) {
        return_id -> BigInt,
        spend_pence -> Nullable<BigInt>,
        women -> Nullable<BigInt>,
        partners -> Nullable<BigInt>,
        infants -> Nullable<BigInt>,
        kinship_carers -> Nullable<BigInt>,
        families -> Nullable<BigInt>,
        new_people -> Nullable<BigInt>,
        continuing_people -> Nullable<BigInt>,
        sessions -> Nullable<BigInt>,
        peer_supporters -> Nullable<BigInt>,
        volunteers -> Nullable<BigInt>,
        outcomes -> Nullable<Text>,
        case_study -> Nullable<Text>,
        challenges -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    return_reminders (return_id, step) {
        return_id -> BigInt,
        step -> Text,
        sent_at -> Timestamp,
    }
}

diesel::table! {
    feedback_links (id) {
        id -> BigInt,
        award_id -> BigInt,
        label -> Text,
        token_hash -> Text,
        expires_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    feedback_responses (id) {
        id -> BigInt,
        award_id -> BigInt,
        link_id -> BigInt,
        respondent -> Text,
        listened_to -> Integer,
        wellbeing -> Integer,
        relationship_with_baby -> Integer,
        recommend -> Integer,
        difference -> Nullable<Text>,
        could_be_better -> Nullable<Text>,
        consent_to_quote -> Bool,
        received_on -> Date,
        published -> Bool,
    }
}

diesel::joinable!(feedback_links -> awards (award_id));
diesel::joinable!(feedback_responses -> awards (award_id));
diesel::joinable!(feedback_responses -> feedback_links (link_id));
diesel::joinable!(returns -> awards (award_id));
diesel::joinable!(return_contents -> returns (return_id));
diesel::joinable!(return_reminders -> returns (return_id));
diesel::joinable!(awards -> applications (application_id));
diesel::joinable!(decisions -> applications (application_id));
diesel::joinable!(awards -> organisations (organisation_id));
diesel::joinable!(instalments -> awards (award_id));
diesel::joinable!(organisation_health_boards -> organisations (organisation_id));
diesel::joinable!(users -> organisations (organisation_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(user_factors -> users (user_id));
diesel::joinable!(recovery_codes -> users (user_id));
diesel::joinable!(sign_in_events -> users (user_id));
diesel::joinable!(password_resets -> users (user_id));
diesel::table! {
    application_reach (application_id, reach_group) {
        application_id -> BigInt,
        reach_group -> Text,
        people -> BigInt,
    }
}

diesel::table! {
    bank_details (id) {
        id -> BigInt,
        organisation_id -> Nullable<BigInt>,
        account_name -> Text,
        sealed -> Text,
        key_id -> Text,
        entered_by -> BigInt,
        entered_at -> Timestamp,
        verified_by -> Nullable<BigInt>,
        verified_at -> Nullable<Timestamp>,
        replaced_at -> Nullable<Timestamp>,
        claimant_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    release_requests (award_id, financial_year) {
        award_id -> BigInt,
        financial_year -> Text,
        requested_by -> BigInt,
        requested_at -> Timestamp,
        authorised_by -> Nullable<BigInt>,
        authorised_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    variations (id) {
        id -> BigInt,
        award_id -> BigInt,
        kind -> Text,
        status -> Text,
        reason -> Text,
        end_date_before -> Nullable<Date>,
        new_end_date -> Nullable<Date>,
        conditions_before -> Nullable<Text>,
        new_conditions -> Nullable<Text>,
        requested_by -> BigInt,
        requested_at -> Timestamp,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
        decision_reason -> Nullable<Text>,
        before_snapshot -> Nullable<Text>,
        after_snapshot -> Nullable<Text>,
    }
}

diesel::table! {
    variation_amounts (variation_id, financial_year) {
        variation_id -> BigInt,
        financial_year -> Text,
        before_pence -> BigInt,
        after_pence -> BigInt,
    }
}

diesel::joinable!(variations -> awards (award_id));
diesel::joinable!(variation_amounts -> variations (variation_id));
diesel::table! {
    payment_runs (id) {
        id -> BigInt,
        status -> Text,
        built_by -> BigInt,
        built_at -> Timestamp,
        closed_by -> Nullable<BigInt>,
        closed_at -> Nullable<Timestamp>,
        health_board -> Nullable<Text>,
    }
}

diesel::table! {
    payment_lines (id) {
        id -> BigInt,
        run_id -> BigInt,
        kind -> Text,
        award_id -> Nullable<BigInt>,
        financial_year -> Nullable<Text>,
        organisation_id -> Nullable<BigInt>,
        fund_id -> BigInt,
        bank_details_id -> BigInt,
        amount_pence -> BigInt,
        payment_reference -> Text,
        award_reference -> Text,
        status -> Text,
        paid_on -> Nullable<Date>,
        failure_reason -> Nullable<Text>,
        marked_by -> Nullable<BigInt>,
        marked_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(bank_details -> organisations (organisation_id));
diesel::joinable!(payment_lines -> payment_runs (run_id));
diesel::joinable!(fund_years -> funds (fund_id));
diesel::joinable!(rounds -> funds (fund_id));
diesel::joinable!(round_years -> rounds (round_id));
diesel::joinable!(round_forms -> rounds (round_id));
diesel::joinable!(application_answers -> applications (application_id));
diesel::joinable!(information_requests -> applications (application_id));
diesel::joinable!(criteria -> rounds (round_id));
diesel::joinable!(applications -> rounds (round_id));
diesel::joinable!(applications -> organisations (organisation_id));
diesel::joinable!(application_requests -> applications (application_id));
diesel::joinable!(application_choices -> applications (application_id));
diesel::joinable!(application_reach -> applications (application_id));
diesel::joinable!(assignments -> applications (application_id));
diesel::joinable!(scores -> assignments (assignment_id));
diesel::joinable!(scores -> criteria (criterion_id));
diesel::joinable!(moderations -> applications (application_id));

diesel::allow_tables_to_appear_in_same_query!(
    organisations,
    round_forms,
    application_answers,
    information_requests,
    bank_details,
    organisation_health_boards,
    users,
    refresh_tokens,
    user_factors,
    recovery_codes,
    sign_in_events,
    password_resets,
    outbox,
    audit_log,
    funds,
    fund_years,
    rounds,
    round_years,
    criteria,
    applications,
    application_requests,
    application_choices,
    application_reach,
    assignments,
    scores,
    moderations,
    awards,
    decisions,
    instalments,
    release_requests,
    variations,
    variation_amounts,
    payment_runs,
    payment_lines,
    idempotency_keys,
    returns,
    return_contents,
    return_reminders,
    feedback_links,
    feedback_responses,
    organisation_addresses,
    directory_services,
    directory_service_items,
    directory_service_awards,
    documents,
    round_document_kinds,
    units,
    unit_wards,
    fund_rates,
    stays,
    stay_people,
    visitors,
    pre_approvals,
    claims,
    claim_lines,
    claim_payments,
);

diesel::table! {
    report_versions (fund_id, figures) {
        fund_id -> BigInt,
        figures -> Text,
        version -> BigInt,
    }
}

diesel::table! {
    password_reset_requests (id) {
        id -> BigInt,
        email -> Text,
        requested_at -> Timestamp,
    }
}

diesel::table! {
    organisation_addresses (organisation_id) {
        organisation_id -> BigInt,
        town -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    directory_services (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        name -> Text,
        offer -> Text,
        audience -> Text,
        referral -> Text,
        phone -> Nullable<Text>,
        email -> Nullable<Text>,
        website -> Nullable<Text>,
        running -> Bool,
        status -> Text,
        search_text -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        approved_at -> Nullable<Timestamp>,
        approved_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    directory_service_items (service_id, list, value) {
        service_id -> BigInt,
        list -> Text,
        value -> Text,
    }
}

diesel::table! {
    directory_service_awards (service_id, award_id) {
        service_id -> BigInt,
        award_id -> BigInt,
    }
}

diesel::joinable!(organisation_addresses -> organisations (organisation_id));
diesel::joinable!(directory_services -> organisations (organisation_id));
diesel::joinable!(directory_service_items -> directory_services (service_id));
diesel::joinable!(directory_service_awards -> directory_services (service_id));
diesel::joinable!(directory_service_awards -> awards (award_id));

diesel::table! {
    documents (id) {
        id -> BigInt,
        owner_kind -> Text,
        owner_id -> BigInt,
        organisation_id -> Nullable<BigInt>,
        kind -> Text,
        given_name -> Text,
        display_name -> Text,
        size_bytes -> BigInt,
        media_type -> Text,
        sha256 -> Text,
        uploaded_by -> BigInt,
        uploaded_at -> Timestamp,
        period_end -> Nullable<Date>,
    }
}

diesel::table! {
    round_document_kinds (round_id, kind) {
        round_id -> BigInt,
        kind -> Text,
    }
}

diesel::joinable!(documents -> organisations (organisation_id));
diesel::joinable!(round_document_kinds -> rounds (round_id));

diesel::table! {
    units (id) {
        id -> BigInt,
        fund_id -> BigInt,
        name -> Text,
        health_board -> Text,
        provides_meals -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    unit_wards (unit_id, name) {
        unit_id -> BigInt,
        name -> Text,
    }
}

diesel::table! {
    fund_rates (fund_id, financial_year) {
        fund_id -> BigInt,
        financial_year -> Text,
        mileage_rate_pence -> BigInt,
        food_rate_pence -> BigInt,
        family_cap_pence -> BigInt,
        claim_window_months -> Integer,
        flights_per_week -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(units -> funds (fund_id));
diesel::joinable!(unit_wards -> units (unit_id));
diesel::joinable!(fund_rates -> funds (fund_id));

diesel::table! {
    stays (id) {
        id -> BigInt,
        fund_id -> BigInt,
        unit_id -> BigInt,
        claimant_id -> BigInt,
        admitted_on -> Date,
        discharged_on -> Nullable<Date>,
        home_board -> Text,
        cap_pence -> BigInt,
        claim_window_months -> Integer,
        approved_pence -> BigInt,
        paid_pence -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        anonymised_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    stay_people (stay_id) {
        stay_id -> BigInt,
        woman_sealed -> Text,
        key_id -> Text,
        ward -> Text,
        consultant -> Text,
    }
}

diesel::table! {
    visitors (id) {
        id -> BigInt,
        stay_id -> BigInt,
        kind -> Text,
        sealed -> Nullable<Text>,
        key_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    pre_approvals (id) {
        id -> BigInt,
        stay_id -> BigInt,
        visitor_id -> BigInt,
        kind -> Text,
        journey_on -> Date,
        details -> Text,
        status -> Text,
        requested_at -> Timestamp,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
        reason -> Nullable<Text>,
    }
}

diesel::table! {
    claims (id) {
        id -> BigInt,
        stay_id -> BigInt,
        status -> Text,
        claimed_pence -> BigInt,
        approved_pence -> Nullable<BigInt>,
        submitted_at -> Nullable<Timestamp>,
        certified_by -> Nullable<BigInt>,
        certified_at -> Nullable<Timestamp>,
        resident_from -> Nullable<Date>,
        resident_to -> Nullable<Date>,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
        rejection_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    claim_lines (id) {
        id -> BigInt,
        claim_id -> BigInt,
        visitor_id -> BigInt,
        spent_on -> Date,
        kind -> Text,
        miles -> Nullable<Integer>,
        together -> Bool,
        description -> Text,
        amount_pence -> BigInt,
        receipt_document_id -> Nullable<BigInt>,
        pre_approval_id -> Nullable<BigInt>,
        outcome -> Nullable<Text>,
        approved_pence -> Nullable<BigInt>,
        outcome_reason -> Nullable<Text>,
    }
}

diesel::joinable!(stays -> units (unit_id));
diesel::joinable!(visitors -> stays (stay_id));
diesel::joinable!(stay_people -> stays (stay_id));
diesel::joinable!(pre_approvals -> stays (stay_id));
diesel::joinable!(claims -> stays (stay_id));
diesel::joinable!(claim_lines -> claims (claim_id));

diesel::table! {
    claim_payments (line_id) {
        line_id -> BigInt,
        claim_id -> BigInt,
        held -> Bool,
    }
}

diesel::joinable!(claim_payments -> payment_lines (line_id));
diesel::joinable!(claim_payments -> claims (claim_id));
