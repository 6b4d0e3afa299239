<?php
return [
    'mysql' => [
        'host' => '10.0.0.12',
        'username' => 'forge',
        'password' => 'ZRH8dVr9GLwpkZbmM8',
    ],
];
