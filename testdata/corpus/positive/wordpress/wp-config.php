<?php
define( 'DB_NAME', 'wordpress' );
define( 'DB_USER', 'wp_user' );
define( 'DB_PASSWORD', 'Maple#3715granite' );
define( 'DB_HOST', 'localhost' );

define( 'AUTH_KEY',         'y+9a.8GD[g_x2n)i=n*RX6FsUm^[L7RV9&LgukYqx@?{qB(7glp8vp{iAIOLjDL4' );
define( 'SECURE_AUTH_KEY',  'x;W.6%vlSqZcqK2#KUlCu#EN@9r]Y3dQS#,Dcw~+Tkw)[V#@wlwlUGvVN/MtL!4t' );
define( 'LOGGED_IN_KEY',    '(S25hLSW[*YdGGMj*qcI3!0xuyLC(8.pX=><97uoT#ZO7+oJ96#iUHH_?ICbe0DR' );
define( 'NONCE_KEY',        '6G~b_zAXSblv^C4_XfC?d3I3<Ka-rF5KfoeKxpE2)>lS;)k|57wjJhz]O:9XfYg+' );
define( 'AUTH_SALT',        '}sjb0S0clapI,4M@tNDFsfl6-fa>YXLN#]Gs}:D.TF!v:AOtRImtnupmHlJsQ<j~' );
define( 'SECURE_AUTH_SALT', 'MuT;{Ovyd/2~fmS<9b?=,7CE=t46x6AJR?*=E%NY@|G5>@d%r#Qt.zx}k82wAwjv' );
define( 'LOGGED_IN_SALT',   '*eGIh]N9q)xd|m*S.De=?<t,2@l}lO[S#ViRFHcm(%888FR0{Xrc.rVmGkygX9Rk' );
define( 'NONCE_SALT',       'JS4@RlHy5yjf>n-xxt^%.IiOdY/1J_mXKCg^lu,)kq]2|u0L~~AT*W8tf5K{xPO]' );

$table_prefix = 'wp_';
