import telebot
bot = telebot.TeleBot("5704579943:AAtxZuSoiNdYKeTEnpixjVOYFdz8Q9D9NLx")
