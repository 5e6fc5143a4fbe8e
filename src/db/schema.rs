//! Diesel's view of the tables; written by hand to match both `migrations/` folders
//! (a test proves the two backends agree).

diesel::table! {
    admin_units (code) {
        code -> Text,
        parent_code -> Nullable<Text>,
        level -> Integer,
        kind -> Text,
        name -> Text,
        search_name -> Text,
        lat -> Double,
        lon -> Double,
        area_km2 -> Nullable<Double>,
        valid_from -> Date,
        valid_to -> Nullable<Date>,
        successor_code -> Nullable<Text>,
        boundary -> Nullable<Text>,
        boundary_updated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    categories (code) {
        code -> Text,
        name_vi -> Text,
        name_en -> Text,
        handler_kind -> Text,
        urgent_hours -> Integer,
        urgent_allowed -> Bool,
        sort_order -> Integer,
        active -> Bool,
        accept_hours -> Integer,
        resolve_days -> Integer,
        max_resolve_days -> Integer,
    }
}

diesel::table! {
    category_deadlines (category_code, province_code) {
        category_code -> Text,
        province_code -> Text,
        accept_hours -> Integer,
        resolve_days -> Integer,
        max_resolve_days -> Integer,
        urgent_hours -> Integer,
        updated_by -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        password_hash -> Text,
        full_name -> Text,
        role -> Text,
        locale -> Text,
        unit_code -> Nullable<Text>,
        active -> Bool,
        email_verified_at -> Nullable<Timestamp>,
        consent_at -> Nullable<Timestamp>,
        onboarding_code -> Nullable<Text>,
        search_text -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_attempts (login_key) {
        login_key -> Text,
        failures -> Integer,
        locked_until -> Nullable<Timestamp>,
        last_failure_at -> Timestamp,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        user_id -> Text,
        family_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    one_time_tokens (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        purpose -> Text,
        email -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        recipient -> Text,
        subject -> Text,
        body -> Text,
        created_at -> Timestamp,
        next_attempt_at -> Timestamp,
        attempts -> Integer,
        locked_until -> Nullable<Timestamp>,
        sent_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        channel -> Text,
        user_id -> Nullable<Text>,
        secret -> Nullable<Text>,
        failed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    reports (id) {
        id -> Text,
        reporter_id -> Text,
        category_code -> Text,
        description -> Text,
        address_text -> Nullable<Text>,
        search_text -> Text,
        lat -> Double,
        lon -> Double,
        accuracy_m -> Nullable<Double>,
        cell -> BigInt,
        unit_code -> Text,
        unit_approximate -> Bool,
        status -> Text,
        is_public -> Bool,
        is_anonymous -> Bool,
        urgent -> Bool,
        supporters -> Integer,
        captured_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        due_at -> Nullable<Timestamp>,
        organization_id -> Nullable<Text>,
        assignee_id -> Nullable<Text>,
        resolved_at -> Nullable<Timestamp>,
        rating_score -> Nullable<Integer>,
        rating_comment -> Nullable<Text>,
        rated_at -> Nullable<Timestamp>,
        escalated_at -> Nullable<Timestamp>,
        remind_at -> Nullable<Timestamp>,
        closes_at -> Nullable<Timestamp>,
        resolved_on_time -> Nullable<Bool>,
        review_requested_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        actor_id -> Text,
        action -> Text,
        subject_type -> Text,
        subject_id -> Text,
        created_at -> Timestamp,
        reason -> Nullable<Text>,
    }
}

diesel::table! {
    organizations (id) {
        id -> Text,
        kind -> Text,
        name -> Text,
        province_code -> Text,
        unit_code -> Nullable<Text>,
        created_at -> Timestamp,
        office_hours -> Nullable<Text>,
    }
}

diesel::table! {
    organization_members (organization_id, user_id) {
        organization_id -> Text,
        user_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    routing_rules (province_code, category_code) {
        province_code -> Text,
        category_code -> Text,
        organization_id -> Text,
    }
}

diesel::table! {
    report_events (id) {
        id -> Text,
        report_id -> Text,
        actor_id -> Nullable<Text>,
        kind -> Text,
        from_status -> Nullable<Text>,
        to_status -> Nullable<Text>,
        note -> Nullable<Text>,
        is_public -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    report_supports (report_id, user_id) {
        report_id -> Text,
        user_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (user_id, key) {
        user_id -> Text,
        key -> Text,
        request_hash -> Text,
        report_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    media (id) {
        id -> Text,
        owner_id -> Text,
        report_id -> Nullable<Text>,
        content_type -> Text,
        width -> Integer,
        height -> Integer,
        bytes -> BigInt,
        created_at -> Timestamp,
        event_id -> Nullable<Text>,
    }
}

diesel::table! {
    notifications (id) {
        id -> Text,
        user_id -> Text,
        kind -> Text,
        report_id -> Nullable<Text>,
        title -> Text,
        body -> Text,
        link -> Text,
        created_at -> Timestamp,
        read_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    campaigns (id) {
        id -> Text,
        name -> Text,
        unit_code -> Text,
        province_code -> Text,
        starts_on -> Date,
        ends_on -> Date,
        target_signups -> Integer,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
        poster_agent_id -> Nullable<Text>,
    }
}

diesel::table! {
    campaign_agents (id) {
        id -> Text,
        number -> Integer,
        campaign_id -> Text,
        user_id -> Nullable<Text>,
        display_name -> Text,
        unit_code -> Text,
        active -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    onboarding_signups (user_id) {
        user_id -> Text,
        campaign_id -> Text,
        agent_id -> Text,
        unit_code -> Text,
        assisted -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    registration_keys (key) {
        key -> Text,
        request_hash -> Text,
        user_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    calendar_days (date, province_code) {
        date -> Date,
        province_code -> Text,
        working -> Bool,
        name -> Text,
        notice -> Text,
        reason -> Text,
        updated_by -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    report_stats_months (month, unit_code, organization_id, category_code, urgent, channel) {
        month -> Date,
        unit_code -> Text,
        organization_id -> Text,
        category_code -> Text,
        urgent -> Bool,
        channel -> Text,
        received -> BigInt,
        resolved -> BigInt,
        on_time -> BigInt,
        escalated -> BigInt,
        rated -> BigInt,
        rating_sum -> BigInt,
        satisfied -> BigInt,
        reopened -> BigInt,
        counts -> Text,
        to_accept -> Text,
        to_start -> Text,
        to_resolve -> Text,
        daily -> Text,
    }
}

diesel::table! {
    report_stats_days (day, unit_code) {
        day -> Date,
        unit_code -> Text,
        received -> BigInt,
        resolved -> BigInt,
        on_time -> BigInt,
        escalated -> BigInt,
        rated -> BigInt,
        rating_sum -> BigInt,
        satisfied -> BigInt,
        reopened -> BigInt,
        counts -> Text,
        to_accept -> Text,
        to_start -> Text,
        to_resolve -> Text,
        daily -> Text,
    }
}

diesel::table! {
    stats_changes (id) {
        id -> Text,
        month -> Date,
        unit_code -> Text,
    }
}

diesel::table! {
    unit_populations (unit_code) {
        unit_code -> Text,
        adults -> BigInt,
        year -> Integer,
        source -> Text,
        target_share -> Double,
        updated_by -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        name -> Text,
        contact -> Text,
        key_hash -> Text,
        prefix -> Text,
        provinces -> Text,
        rate_limit_per_minute -> Integer,
        created_by -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
        account_id -> Nullable<Text>,
    }
}

diesel::table! {
    report_sources (report_id) {
        report_id -> Text,
        channel -> Text,
        api_key_id -> Nullable<Text>,
        first_name -> Nullable<Text>,
        last_name -> Nullable<Text>,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        device_id -> Nullable<Text>,
        account_id -> Nullable<Text>,
        media_url -> Nullable<Text>,
    }
}

diesel::table! {
    rate_limits (bucket) {
        bucket -> Text,
        window_start -> Timestamp,
        hits -> Integer,
    }
}

diesel::table! {
    notification_jobs (id) {
        id -> Text,
        report_id -> Text,
        except_user -> Nullable<Text>,
        with_supporters -> Bool,
        message_vi -> Text,
        message_en -> Text,
        created_at -> Timestamp,
        after_user -> Nullable<Text>,
        done_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// The folded text of each report, to search: a view of `reports` on PostgreSQL (trigram-indexed),
    /// an FTS5 table with the trigram tokenizer on SQLite.
    report_search (report_id) {
        report_id -> Text,
        search_text -> Text,
    }
}

diesel::joinable!(devices -> users (user_id));
diesel::joinable!(reports -> users (reporter_id));
diesel::joinable!(report_events -> reports (report_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(one_time_tokens -> users (user_id));
diesel::joinable!(report_sources -> reports (report_id));
diesel::joinable!(report_sources -> api_keys (api_key_id));

diesel::table! {
    reference_version (id) {
        id -> Integer,
        token -> Text,
    }
}

diesel::table! {
    devices (installation_id) {
        installation_id -> Text,
        user_id -> Text,
        platform -> Text,
        push_token -> Text,
        app_version -> Text,
        locale -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    notification_settings (user_id) {
        user_id -> Text,
        push_report_news -> Bool,
        push_office_alerts -> Bool,
        email_report_news -> Bool,
        email_office_alerts -> Bool,
        quiet_from -> Nullable<Integer>,
        quiet_until -> Nullable<Integer>,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(notification_settings -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    admin_units,
    categories,
    users,
    login_attempts,
    refresh_tokens,
    one_time_tokens,
    outbox,
    reports,
    report_events,
    report_supports,
    idempotency_keys,
    media,
    organizations,
    organization_members,
    routing_rules,
    audit_log,
    notifications,
    campaigns,
    campaign_agents,
    onboarding_signups,
    registration_keys,
    calendar_days,
    category_deadlines,
    report_stats_months,
    report_stats_days,
    stats_changes,
    unit_populations,
    api_keys,
    report_sources,
    rate_limits,
    notification_jobs,
    report_search,
    reference_version,
    devices,
    notification_settings
);
