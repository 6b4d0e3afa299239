<?php
define('DB_NAME', 'blog');
define('DB_USER', 'blog');
define('DB_PASSWORD', '4yAF21salpbUuqj8eHzM');
define('DB_HOST', 'mysql.internal');
