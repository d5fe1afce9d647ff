"""Operations: job runs, backups, storage clean-up."""
