-- The task queue gets its own database: the store refuses a database holding tables it did not create.
CREATE DATABASE verify_queue OWNER verify;
