"""Helpers the tests share: a throwaway Airflow home and a throwaway Postgres."""
