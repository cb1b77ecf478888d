-- accounts-module: the MySQL 8 / MariaDB 10.6+ schema, exactly what `migrate()` produces on MySQL
-- (tests/adapters/sql/schema-drift.test.ts compares the two through information_schema).
--
-- Load it into an empty database instead of running the migrations, e.g.
--   mysql --default-character-set=utf8mb4 my_app < db/schema.sql
-- It also records the migrations it stands for, so a later `migrate()` (or
-- `npx accounts-module migrate`) applies only what newer versions of the library add.
--
-- Conventions: InnoDB, utf8mb4 with a binary collation (ids and hashes are case-sensitive),
-- timestamps DATETIME(3) holding UTC, roles as comma-separated lists, hashes as CHAR(64) hex,
-- an application's custom fields as JSON text (NULL reads as no fields).

CREATE TABLE `users` (
  `id` varchar(64) NOT NULL,
  `name` varchar(255) NOT NULL,
  `password_hash` varchar(255) DEFAULT NULL,
  `roles` varchar(255) NOT NULL,
  `created_at` datetime(3) NOT NULL,
  `updated_at` datetime(3) NOT NULL,
  `deleted_at` datetime(3) DEFAULT NULL,
  `banned_at` datetime(3) DEFAULT NULL,
  `credential_version` int(11) NOT NULL DEFAULT 0,
  `fields` text DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE `login_emails` (
  `address` varchar(254) NOT NULL,
  `user_id` varchar(64) NOT NULL,
  `verified_at` datetime(3) DEFAULT NULL,
  `created_at` datetime(3) NOT NULL,
  PRIMARY KEY (`address`),
  KEY `login_emails_user_id_index` (`user_id`,`created_at`),
  CONSTRAINT `login_emails_user_id_foreign` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE `verification_codes` (
  `id` varchar(64) NOT NULL,
  `purpose` varchar(32) NOT NULL,
  `address` varchar(254) NOT NULL,
  `state` varchar(128) DEFAULT NULL,
  `code_hash` char(64) NOT NULL,
  `attempts` int(11) NOT NULL,
  `created_at` datetime(3) NOT NULL,
  `expires_at` datetime(3) NOT NULL,
  `consumed_at` datetime(3) DEFAULT NULL,
  `invalidated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `verification_codes_code_hash_unique` (`code_hash`),
  KEY `verification_codes_purpose_address_index` (`purpose`,`address`),
  KEY `verification_codes_state_index` (`state`),
  KEY `verification_codes_address_created_at_index` (`address`,`created_at`),
  KEY `verification_codes_expires_at_index` (`expires_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE `organizations` (
  `id` varchar(64) NOT NULL,
  `name` varchar(255) NOT NULL,
  `created_at` datetime(3) NOT NULL,
  `updated_at` datetime(3) NOT NULL,
  `require_mfa` tinyint(1) NOT NULL DEFAULT 0,
  `fields` text DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE `memberships` (
  `id` varchar(64) NOT NULL,
  `organization_id` varchar(64) NOT NULL,
  `user_id` varchar(64) NOT NULL,
  `role` varchar(16) NOT NULL,
  `created_at` datetime(3) NOT NULL,
  `fields` text DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `memberships_organization_id_user_id_unique` (`organization_id`,`user_id`),
  KEY `memberships_user_id_index` (`user_id`),
  KEY `memberships_organization_id_created_at_index` (`organization_id`,`created_at`,`id`),
  CONSTRAINT `memberships_organization_id_foreign` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE,
  CONSTRAINT `memberships_user_id_foreign` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One invitation per (organization, address); the token is stored only as its SHA-256.
CREATE TABLE `invitations` (
  `id` varchar(64) NOT NULL,
  `organization_id` varchar(64) NOT NULL,
  `address` varchar(254) NOT NULL,
  `role` varchar(16) NOT NULL,
  `token_hash` char(64) NOT NULL,
  `invited_by_user_id` varchar(64) DEFAULT NULL,
  `invited_by_client_id` varchar(64) DEFAULT NULL,
  `created_at` datetime(3) NOT NULL,
  `expires_at` datetime(3) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `invitations_token_hash_unique` (`token_hash`),
  UNIQUE KEY `invitations_organization_id_address_unique` (`organization_id`,`address`),
  KEY `invitations_address_index` (`address`),
  CONSTRAINT `invitations_organization_id_foreign` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE `clients` (
  `id` varchar(64) NOT NULL,
  `organization_id` varchar(64) NOT NULL,
  `name` varchar(255) NOT NULL,
  `secret_hash` char(64) NOT NULL,
  `roles` varchar(255) NOT NULL,
  `reqs_per_sec` int(11) NOT NULL,
  `created_at` datetime(3) NOT NULL,
  `updated_at` datetime(3) NOT NULL,
  `deleted_at` datetime(3) DEFAULT NULL,
  `last_used_at` datetime(3) DEFAULT NULL,
  `fields` text DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `clients_secret_hash_unique` (`secret_hash`),
  KEY `clients_organization_id_index` (`organization_id`,`created_at`),
  CONSTRAINT `clients_organization_id_foreign` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE `access_restrictions` (
  `id` varchar(64) NOT NULL,
  `client_id` varchar(64) NOT NULL,
  `type` varchar(16) NOT NULL,
  `value` varchar(255) NOT NULL,
  `created_at` datetime(3) NOT NULL,
  PRIMARY KEY (`id`),
  KEY `access_restrictions_client_id_index` (`client_id`,`created_at`),
  CONSTRAINT `access_restrictions_client_id_foreign` FOREIGN KEY (`client_id`) REFERENCES `clients` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE `sessions` (
  `id` varchar(64) NOT NULL,
  `user_id` varchar(64) NOT NULL,
  `client_id` varchar(64) DEFAULT NULL,
  `ip` varchar(64) DEFAULT NULL,
  `user_agent` text DEFAULT NULL,
  `created_at` datetime(3) NOT NULL,
  `last_used_at` datetime(3) NOT NULL,
  `idle_expires_at` datetime(3) NOT NULL,
  `expires_at` datetime(3) NOT NULL,
  `revoked_at` datetime(3) DEFAULT NULL,
  `credential_version` int(11) NOT NULL DEFAULT 0,
  `auth_method` varchar(16) NOT NULL DEFAULT 'password',
  `authenticated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `sessions_user_id_index` (`user_id`,`created_at`),
  KEY `sessions_client_id_index` (`client_id`),
  KEY `sessions_expires_at_index` (`expires_at`),
  CONSTRAINT `sessions_client_id_foreign` FOREIGN KEY (`client_id`) REFERENCES `clients` (`id`) ON DELETE SET NULL,
  CONSTRAINT `sessions_user_id_foreign` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE `refresh_tokens` (
  `token_hash` char(64) NOT NULL,
  `session_id` varchar(64) NOT NULL,
  `created_at` datetime(3) NOT NULL,
  `expires_at` datetime(3) NOT NULL,
  `consumed_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`token_hash`),
  KEY `refresh_tokens_session_id_index` (`session_id`),
  KEY `refresh_tokens_expires_at_index` (`expires_at`),
  CONSTRAINT `refresh_tokens_session_id_foreign` FOREIGN KEY (`session_id`) REFERENCES `sessions` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Two-factor (docs/security-rules.md §4a): the TOTP secret only sealed (AES-256-GCM, the key is not in
-- the database), recovery codes only as keyed hashes, challenge tokens only as SHA-256.
CREATE TABLE `totp_factors` (
  `user_id` varchar(64) NOT NULL,
  `sealed_secret` varchar(255) NOT NULL,
  `created_at` datetime(3) NOT NULL,
  `confirmed_at` datetime(3) DEFAULT NULL,
  `last_used_step` bigint(20) DEFAULT NULL,
  PRIMARY KEY (`user_id`),
  CONSTRAINT `totp_factors_user_id_foreign` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE `recovery_codes` (
  `user_id` varchar(64) NOT NULL,
  `code_hash` char(64) NOT NULL,
  `created_at` datetime(3) NOT NULL,
  `used_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`user_id`,`code_hash`),
  CONSTRAINT `recovery_codes_user_id_foreign` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE `mfa_challenges` (
  `token_hash` char(64) NOT NULL,
  `user_id` varchar(64) NOT NULL,
  `first_factor` varchar(16) NOT NULL,
  `credential_version` int(11) NOT NULL,
  `attempts` int(11) NOT NULL,
  `created_at` datetime(3) NOT NULL,
  `expires_at` datetime(3) NOT NULL,
  `consumed_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`token_hash`),
  KEY `mfa_challenges_user_id_index` (`user_id`),
  KEY `mfa_challenges_expires_at_index` (`expires_at`),
  CONSTRAINT `mfa_challenges_user_id_foreign` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The transactional outbox (docs/events.md): security events waiting for, or done with, delivery by a
-- relay. Payloads never hold a secret, hash, code or token.
CREATE TABLE `events` (
  `seq` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `id` varchar(64) NOT NULL,
  `type` varchar(64) NOT NULL,
  `at` datetime(3) NOT NULL,
  `actor_user_id` varchar(64) DEFAULT NULL,
  `actor_client_id` varchar(64) DEFAULT NULL,
  `actor_ip` varchar(64) DEFAULT NULL,
  `user_id` varchar(64) DEFAULT NULL,
  `organization_id` varchar(64) DEFAULT NULL,
  `client_id` varchar(64) DEFAULT NULL,
  `session_id` varchar(64) DEFAULT NULL,
  `subject_key` varchar(80) DEFAULT NULL,
  `payload` text NOT NULL,
  `attempts` int(11) NOT NULL,
  `next_attempt_at` datetime(3) NOT NULL,
  `delivered_at` datetime(3) DEFAULT NULL,
  `dead_at` datetime(3) DEFAULT NULL,
  `last_error` varchar(1000) DEFAULT NULL,
  `lease_owner` varchar(128) DEFAULT NULL,
  `lease_until` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`seq`),
  UNIQUE KEY `events_id_unique` (`id`),
  KEY `events_waiting_index` (`delivered_at`,`dead_at`,`seq`),
  KEY `events_subject_key_seq_index` (`subject_key`,`seq`),
  KEY `events_organization_id_seq_index` (`organization_id`,`seq`),
  KEY `events_user_id_seq_index` (`user_id`,`seq`),
  KEY `events_dead_at_index` (`dead_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE `rate_limits` (
  `limit_key` varchar(512) NOT NULL,
  `hits` int(11) NOT NULL,
  `reset_at` datetime(3) NOT NULL,
  PRIMARY KEY (`limit_key`),
  KEY `rate_limits_reset_at_index` (`reset_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE `accounts_migrations` (
  `id` int(10) unsigned NOT NULL AUTO_INCREMENT,
  `name` varchar(255) DEFAULT NULL,
  `batch` int(11) DEFAULT NULL,
  `migration_time` timestamp NULL DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB;

CREATE TABLE `accounts_migrations_lock` (
  `index` int(10) unsigned NOT NULL AUTO_INCREMENT,
  `is_locked` int(11) DEFAULT NULL,
  PRIMARY KEY (`index`)
) ENGINE=InnoDB;

-- The migrations this schema stands for (knex's version table and its lock row).
INSERT INTO `accounts_migrations` (`name`, `batch`, `migration_time`) VALUES
  ('20261122_001_initial', 1, CURRENT_TIMESTAMP),
  ('20261202_002_credential_versions', 1, CURRENT_TIMESTAMP),
  ('20261202_003_invitations', 1, CURRENT_TIMESTAMP),
  ('20261202_004_two_factor', 1, CURRENT_TIMESTAMP),
  ('20261202_005_organization_require_mfa', 1, CURRENT_TIMESTAMP),
  ('20261202_006_list_indexes', 1, CURRENT_TIMESTAMP),
  ('20261202_007_events', 1, CURRENT_TIMESTAMP),
  ('20261202_008_custom_fields', 1, CURRENT_TIMESTAMP);
INSERT INTO `accounts_migrations_lock` (`is_locked`) VALUES (0);
