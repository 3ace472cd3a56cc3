# nyckel — English. Every message here exists in da.ftl and sv.ftl with the
# same arguments and select keys (tests/catalogs.rs). Messages whose name
# ends in -html hold markup and are formatted with their arguments escaped.

## Dates and times (Copenhagen time; arguments come preformatted)

month-name = { $month ->
    [1] January
    [2] February
    [3] March
    [4] April
    [5] May
    [6] June
    [7] July
    [8] August
    [9] September
    [10] October
    [11] November
   *[12] December
  }
weekday-name = { $weekday ->
    [mon] Monday
    [tue] Tuesday
    [wed] Wednesday
    [thu] Thursday
    [fri] Friday
    [sat] Saturday
   *[sun] Sunday
  }
time-of-day = { $hour }:{ $minute }
date-day-month = { $day } { $month }
date = { $day } { $month } { $year }
date-time = { $date }, { $time } ({ $zone })
weekday-date-time = { $weekday } { $date } at { $time }
weekday-time = { $weekday } at { $time }

## Every page

skip-to-content = Skip to content
nav-label = Main
nav-my = My nyckel
nav-help = Help
lang-switch-label = Language
footer-support = Support:
footer-help = Help and opening hours
footer-never-asks = nyckel never asks for your password or codes by phone or e-mail.
error-prefix = Error
next-step-heading = What you can do
action-next = Next
action-log-in = Log in
action-log-out = Log out
label-name = Name
label-address = Address
label-user-id = User ID
label-password = Password
label-username = Username
label-status = Status
label-key = Key
label-code = Code
report-label = What is wrong?
report-button = Report
report-thanks = Thank you: your report has been recorded. Contact the citizen service centre of your municipality to correct the register.
report-invalid = Describe what is wrong in at most 1000 characters.

## Start page

index-title = Welcome
index-heading = nyckel — your key to public services and your bank
index-intro = Log in with your user ID, CPR number or username, your password and a code from your key card.
demo-heading = Demo holder
demo-intro = This is a demo installation. Log in as the demo holder:
demo-card-summary = The demo holder's key card ({ $count ->
    [one] { $count } key
   *[other] { $count } keys
  })
keycard-table-caption = Key number and code

## Login

login-title = Log in
login-heading = Log in
login-for-service-html = You are logging in to <strong class="service-name">{ $service }</strong>.
login-for-my = You are logging in to My nyckel.
lost-card-banner = Block a lost key card: enter your user ID and password. No key card is needed, and you are not logged in.
lost-card-link = Lost your key card?
login-cancel-to-service = Cancel and go back to { $service }
login-cancel = Cancel login
login-name-label = User ID, CPR number or username
login-name-hint = First time? Enter the user ID from your activation letter.
password-title = Password
password-heading = Enter your password
password-logging-in-as-html = Logging in as <strong class="login-name">{ $name }</strong>.
password-of-html = For <strong class="login-name">{ $name }</strong>.
password-not-you = Not you?
password-label = Password (or the activation code from your letter)
choose-title = Choose your password
choose-intro = Your activation code was accepted. Choose the password you will use from now on.
choose-rules-intro = Your password must be:
choose-rule-length = { $min } to { $max } characters
choose-rule-personal = not your user ID, your CPR number or your username, and not the word "password"
choose-rule-common = not a common password
choose-new-label = New password
choose-confirm-label = Repeat the new password
choose-save = Save password
terms-title = Terms of use
terms-heading = Terms of use (version { $version })
terms-you-heading = Is this you?
terms-you-intro = The population register (CPR) has these details about you. Your certificate will carry them.
terms-wrong-summary = These details are wrong
terms-list-heading = The terms
terms-v1-rule-1 = Keep your password, user ID and codes to yourself. Never share them with anyone — not with family, not with your bank, not with anyone who phones or writes claiming to be nyckel. nyckel never asks for a code by phone or e-mail.
terms-v1-rule-2 = Using your key binds you just as your handwritten signature does: whatever you approve or sign with it is your act.
terms-v1-rule-3 = Block your key at once if you suspect that someone else knows your password, has your key card or your device: from My nyckel, or by calling support.
terms-v1-rule-4 = Only approve a login, payment or signature that you started yourself and whose text you have read.
terms-accept-label = I have read and accept the terms of use
terms-accept-button = Accept and continue
keycard-title = Key card
keycard-heading = Enter the code from your key card
keycard-challenge-html = Find key number <strong class="key">{ $key }</strong> on card <strong>{ $card }</strong> and type the 6-digit code beside it.
keycard-code-label = Code for key { $key }
keycard-new-card-question = Have you received your new key card ({ $card })?
keycard-use-new-card = Use my new card

## What was wrong with a form

problem-login-name = Enter your user ID, CPR number or username.
problem-wrong-user-or-password = Wrong user ID or password.
problem-password-unchanged = The new password is the one you have now. Choose a new one.
problem-passwords-differ = The two passwords are not the same. Type the same password twice.
problem-terms = Tick the box to accept the terms of use. Without them you cannot use nyckel.
problem-paused = For your safety, logging in with this name from a browser you have not logged in with before is paused until { $until }, after several wrong attempts. Your password was not checked. Try again after that time, or log in on a device you have used before.
problem-wrong-code-last = Wrong code for key { $key }. That key cannot be used again. Careful: one more wrong code blocks your key card. Enter the code for the new key number shown.
problem-wrong-code = Wrong code for key { $key }. That key cannot be used again: enter the code for the new key number shown.
password-too-short = The password must be at least { $min } characters long.
password-too-long = The password can be at most { $max } characters long.
password-contains-user-id = The password must not contain your user ID.
password-contains-cpr = The password must not contain your CPR number.
password-contains-alias = The password must not contain your username.
password-contains-word = The password must not contain the word "{ $word }".
password-ten-digits = The password must not contain 10 digits in a row.
password-common = This password is too common: it is among the first ones attackers try.
password-common-word = The password is the common word "{ $word }" with only a few digits or symbols added or swapped in: attackers try those first.
password-keyboard-walk = The password is a row of neighbouring keys on the keyboard: attackers try those first.
password-space = The password must not begin or end with a space.
password-control = The password must not contain line breaks, tabs or other control characters.

## A login that ended

ended-throttled-heading = Too many attempts
ended-throttled-text = There have been too many login attempts from your network. Wait a minute and try again.
ended-throttled-next = On a device where you have logged in before, you can log in as usual.
ended-identity-blocked-heading = Your nyckel is blocked
ended-identity-blocked-text = Your nyckel has been blocked, so you cannot log in with it.
ended-no-card-heading = No usable key card
ended-no-card-blocked-text = Your key card is blocked, so nyckel cannot ask you for a code, and no new card is on its way.
ended-no-card-used-text = All the keys on your key card have been used, and no new card is on its way, so nyckel cannot ask you for a code.
ended-card-blocked-heading = Your key card is blocked
ended-card-blocked-text = Too many wrong codes were entered, so your key card has been blocked.
ended-superseded-heading = This login was replaced
ended-superseded-text = Key { $key } is no longer valid: you started a newer login in another window, which asked for another key. The key asked for here counts as a wrong code. Go on in the other window, or start again.
ended-activation-used-heading = Your activation code has been used
ended-activation-used-text = A password has already been chosen with this activation code, in another window or on another device. Log in with that password.
ended-other-heading = Your login has ended
ended-other-text = Please start again.

## What to do next, and the support line

hint-support-html = If you have forgotten your password, or it or your key card is blocked, { $line } or visit a citizen service centre. See the help page.
hint-key-card-html = Check that you are reading the card whose number is shown, and the code printed beside the key number. If your key card is lost, used up or blocked, { $line }.
hint-new-card-html = Order a new key card on the page <a href="/lost-card">Lost your key card?</a> with your user ID and password: it is sent to your address in the population register. Or { $line }.
support-line-open-html = call support on <a href="tel:{ $tel }">{ $phone }</a> (open now)
support-line-closed-html = call support on <a href="tel:{ $tel }">{ $phone }</a> (closed now)
support-line-opens-html = call support on <a href="tel:{ $tel }">{ $phone }</a> (closed now, opens { $when })
link-my = Go to My nyckel
link-start-again = Start again
link-log-in-again = Log in again

## Errors of any page

not-found-heading = Page not found
not-found-text = There is no page at this address.
busy-heading = nyckel is very busy
busy-text = Too many people are logging in right now. Nothing has been lost: wait a minute and try again.
failed-heading = Something went wrong
failed-text = nyckel could not finish your request. Nothing was changed. Please try again in a moment.
flow-expired-heading = Your login has expired
flow-expired-text = The login took too long or was started in another window. Please start again.
csrf-heading = The form could not be accepted
csrf-text = The form was out of date or did not come from this site. Please start again.
bad-request-heading = The service's login request is not valid
bad-request-text = The service you came from sent nyckel a login request that cannot be accepted ({ $detail }). Go back to the service and try again; if it keeps happening, tell the service.

## Help

help-title = Help
help-support-heading = Support line
help-call = Call
help-open-now-html = Support is <strong>open now</strong>.
help-open-now-today-html = Support is <strong>open now</strong> (today { $hours }).
help-closed-now-html = Support is <strong>closed now</strong>.
help-closed-now-opens-html = Support is <strong>closed now</strong>. It opens { $when }.
help-hours-heading = Opening hours
help-weekdays = Monday to Friday: { $hours }
help-weekends = Weekends and public holidays: { $hours }
help-special-day = { $date }: { $hours }
hours-closed = closed
help-what-heading = What to do if…
help-q-forgotten = you have forgotten your password or it is blocked
help-a-forgotten = Call support. After checking who you are, support sends you a new activation code by letter; log in with it and choose a new password.
help-q-lost = your key card is lost, stolen or used up
help-a-lost = Block it at once on the page "Lost your key card?" with your user ID and password, from My nyckel, or by calling support. A new card is sent to your address in the population register.
help-q-compromised = you think someone else knows your password or codes
help-a-compromised = Block your whole nyckel from My nyckel, or call support, now.
help-q-none = you have not got a nyckel yet
help-a-none = Book an appointment at a citizen service centre and bring a valid photo ID, or ask your bank. From abroad you can apply online with a Danish passport or a Danish driving licence.

## Consent

consent-title = Share your details?
consent-heading = { $service } asks for your details
consent-intro-html = You have logged in. Before you go on to <strong>{ $service }</strong>, nyckel will share exactly this with them:
consent-remembered = nyckel remembers your answer for { $service }. You can withdraw it at any time in My nyckel.
consent-allow = Allow and continue
consent-deny = Do not share
shared-pairwise = A pseudonymous identifier for you, the same each time you use this service
shared-name = Your name
shared-uuid = Your personal nyckel UUID
shared-cpr = Your CPR number
shared-login-substantial = When you logged in, and how (password and key card: assurance level Substantial)

## Logout

logout-title = Log out of nyckel?
logout-asked-by-html = <strong>{ $service }</strong> asks nyckel to log you out.
logout-asked-by-page = A page asks nyckel to log you out.
logout-explain = If you log out, you must log in again the next time a service asks for your nyckel.
logout-stay = Stay logged in
logged-out-heading = You are logged out
logged-out-text = You have been logged out of nyckel.

## My nyckel

my-title = My nyckel
my-you-heading = You
my-no-username = none
my-report-summary = Name or address wrong?
my-alias-choose = Choose a username
my-alias-change = Change your username
my-alias-label = Username (5–48 characters, at least one letter)
my-alias-hint = Shown as you type it. When you log in, capital and small letters count as the same.
my-alias-save = Save username
label-letter-language = Language of your letters
my-language-summary = Change the language of your letters
my-language-save = Save language
my-language-unknown = Choose Danish, English or Swedish.
notice-language = The language of your letters has been saved. Letters and key cards from now on are in that language.
my-cred-heading = Your credentials
label-issued = Issued
label-last-used = Last used
my-never-used = —
confirm-block-key-card-heading = Block your key card?
confirm-block-key-card-text = Key card { $card } stops working at once, also in a login already started.
confirm-block-key-card-new = We send you a new key card by post to { $address }, your address in the CPR register (you can order at most { $max } extra cards a year yourself). Until it arrives you cannot log in with a key card.
confirm-block-key-card-button = Block and send me a new card
confirm-block-key-card-none = None of your key cards works now, so none is blocked.
confirm-block-key-card-on-its-way = Your new key card { $card } is already on its way by post to { $address } and is not blocked, so no other card is ordered. Log in with it when it arrives.
confirm-block-key-card-limit = No new card can be ordered here: you have already ordered { $max ->
    [one] one extra key card
   *[other] { $max } extra key cards
} this year, the most you can order yourself. Call support to get a new one.
confirm-block-key-card-only = Block the key card
confirm-order-card-button = Send me a new card
lost-card-cancel = Cancel: block nothing
address-unshown = your address
lost-card-done = Done: back to the start
back-to-my = Back to My nyckel
confirm-block-password-heading = Block your password?
confirm-block-password-text = Your password stops working at once. To use nyckel again you need a new activation code: call support, and it comes by letter.
confirm-block-password-button = Block my password
confirm-block-identity-heading = Block your whole nyckel?
confirm-block-identity-text = Nobody can log in with your nyckel until support unblocks it, after checking who you are. You are logged out at once.
confirm-block-cancel = No, go back to My nyckel
card-replaced-heading = Your key card is blocked
card-replaced-text = Nobody can log in with it any more. A new key card, { $card }, is on its way by post to { $address }, your address in the CPR register. It usually arrives within 5 working days.
card-ordered-heading = A new key card is on its way
card-ordered-text = Key card { $card } is on its way by post to { $address }, your address in the CPR register. Keep using the card you have: the first time you log in with the new one, the old one stops working.
card-on-its-way-text = Your new key card { $card } is already on its way, so no other card was ordered.
card-limit-text = No new card was ordered: you have already ordered { $max } extra key cards this year, the most you can order yourself. Call support to get a new one.
label-keys-left = Keys left
keys-left = { $left } of { $total }
my-order-card-heading = A new key card
my-order-card-text = Card worn, or running low? Order a new one. It comes by post to your address in the CPR register, and your card goes on working until you first use the new one.
my-order-card-button = Order a new key card
my-block-key-card = Block key card
my-block-password = Block password
my-block-all-heading = Block everything
my-block-all-text = Suspect that someone else knows your password or has your key card? Block your whole nyckel at once. To unblock it, call support.
my-block-all-button = Block my whole nyckel
my-consents-heading = Services that get your details
my-no-consents = You have not allowed any service to get your details.
my-consent-since = since { $since }
my-withdraw = Withdraw
my-activity-heading = Recent activity
my-no-activity = No activity yet.
my-activity-caption = Recent activity, newest first
label-when = When
label-what = What
label-where = Where
my-choose-what = Choose what to block.
my-block-failed = Could not block: { $reason ->
    [already-blocked] it is already blocked.
    [final] it has been retired or revoked.
    [needs-support] only support can change it.
   *[nothing] there is nothing of that kind to block.
  }
alias-refused = That username cannot be used: { $reason ->
    [too-short] it must be at least 5 characters long.
    [too-long] it can be at most 48 characters long.
    [character] it may contain only letters, digits, spaces and the characters - _ . @ '
   *[no-letter] it must contain at least one letter.
  }
alias-taken = That username is taken. Choose another one.
blocked-all-heading = Your nyckel is blocked
blocked-all-text = Your whole nyckel is now blocked: nobody can log in with it. You have been logged out.
blocked-all-next-html = To unblock it, call support on <a href="tel:{ $tel }">{ $phone }</a>.
notice-ready = Your nyckel is ready. From now on you log in with your user ID or username, your password and a code from your key card, here and at every service that uses nyckel. Keep the key card apart from your password, and block it here if you lose it.
change-password-heading = Change your password
change-password-current-label = Your current password
change-password-cancel = Cancel and go back to My nyckel
change-password-choose = Choose your new password
change-password-banner = Change your password: enter your current password, then a code from your key card, then the new password.
my-password-heading = Password
my-password-text = Change your password whenever you like, and at once if you think someone else knows it. You need your current password and your key card.
my-password-button = Change password
notice-password = Your password is changed. Use the new one from now on. You are logged out everywhere else: in other browsers and at the services where you used nyckel.
notice-blocked-password = Your password is blocked. To unblock it, call support: you will get a new activation code by letter.
notice-alias = Your username has been saved. You can now log in with it.
notice-withdrawn = The service no longer gets your details. It will ask you again the next time you log in there.
credential-name = { $kind ->
    [activation-code] Activation code
    [password] Password
    [key-card] Key card
    [app-device] Code app
    [code-token] Code token
   *[passkey] Chip (security key)
  }
credential-key-card = Key card { $card }
credential-status = { $status ->
    [pending] on its way / not yet used
    [active] active
    [blocked-by-holder] blocked by you
    [blocked-by-support] blocked by support
    [locked-by-failures] blocked after too many wrong attempts
    [retired] no longer in use
   *[revoked] revoked
  }
identity-status = { $status ->
    [pending-activation] not yet activated
    [active] active
    [blocked-by-holder] blocked by you
    [blocked-by-support] blocked by support
    [blocked-by-operator] blocked by nyckel
    [suspended] suspended
   *[revoked] revoked
  }
consent-gives = { $cpr ->
    [yes] { $name ->
        [yes] an identifier for you, your name, your CPR number
       *[no] an identifier for you, your CPR number
      }
   *[no] { $name ->
        [yes] an identifier for you, your name
       *[no] an identifier for you
      }
  }

## Letters and the printed key card

letter-activation-title = nyckel — your activation letter
letter-user-id = Your user ID: { $user_id }
letter-activation-code = Your activation code: { $code } (valid until { $until })
letter-activation-how = To activate your key, go to { $url }/login, enter your user ID and press Next, then enter the activation code as your password. You will choose your own password, accept the terms of use and enter a code from your key card.
letter-keep-apart = Keep this letter and your key card apart. Never give your codes to anyone: nyckel never asks for a code by phone or e-mail.
keycard-print-title = nyckel key card
keycard-print-card = Card
keycard-print-holder = Holder
keycard-print-warning = Never give your codes to anyone. nyckel never asks for a code by phone or e-mail.
keycard-print-how-to = When you log in, nyckel shows a key number. Type the 6-digit code printed beside it. Each code works once.
keycard-print-caption = Key card { $card }: { $count ->
    [one] { $count } one-time code
   *[other] { $count } one-time codes
  }

## The activity in My nyckel

act-logged-in = Logged in to { $service }
act-wrong-key-card = Wrong key-card code entered
act-unanswered-key-card = A key-card code was asked for and not entered (counts as a wrong code)
act-wrong-password = Wrong password entered
act-locked = Login attempt while your nyckel was paused or blocked
act-failed = Failed login attempt
act-blocked = { $part ->
    [password] Password blocked
    [key-card] Key card blocked
    [identity] Your whole nyckel blocked
   *[other] A credential blocked
  }
act-unblocked = { $part ->
    [password] Password unblocked
    [key-card] Key card unblocked
    [identity] Your whole nyckel unblocked
   *[other] A credential unblocked
  }
act-credential-locked = { $credential ->
    [password] Password blocked after too many wrong attempts
    [key-card] Key card blocked after too many wrong attempts
    [activation-code] Activation code blocked after too many wrong attempts
   *[other] A credential blocked after too many wrong attempts
  }
act-untrusted-locked = Logins from unknown devices paused after wrong attempts
act-password-set = Password chosen
act-password-changed = Password changed (logged out everywhere else)
act-terms-accepted = Terms of use accepted
act-activated = nyckel activated
act-issued = nyckel issued
act-refused = An application for nyckel was refused
act-card-ordered = New key card sent
act-alias-set = Username changed
act-consent-given = Allowed { $service } to get your details
act-consent-given-unnamed = Allowed a service to get your details
act-consent-withdrawn = Withdrew { $service }'s access to your details
act-consent-withdrawn-unnamed = Withdrew a service's access to your details
act-register-reported = Reported wrong name or address
act-letter-printed = { $kind ->
    [key-card] Key card printed
    [activation-letter] Activation letter printed
   *[other] Letter printed
  }
act-letter-sent = { $kind ->
    [key-card] Key card sent
    [activation-letter] Activation letter sent
   *[other] Letter sent
  }
act-replayed = A service's sign-in was used twice: its access was stopped
act-cpr-match = A service checked a CPR number against yours
act-imported = Your details were updated from the register
act-other = Other activity
