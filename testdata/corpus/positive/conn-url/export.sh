#!/bin/bash
pg_dump "postgresql://backup:RWmDG3eV4UixDQ4n2HtE@10.0.12.44:5432/inventory" > /backups/inv.sql
