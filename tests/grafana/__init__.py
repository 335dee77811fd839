"""Tests of the Grafana dashboards and provisioning (grafana/)."""
