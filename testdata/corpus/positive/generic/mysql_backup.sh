#!/bin/bash
mysqldump -u root -p'Nimbus@4929orchid' --all-databases | gzip > /backup/all.sql.gz
