<?php
$config['db_host'] = 'localhost';
$config['db_user'] = 'shop';
$config['db_password'] = 'Ojmp7fJRWDq432kK';
