"""Crisis language: does a patient's text suggest thoughts of suicide or self-harm? Pure: no Flask.

When `crisis_language` says yes, the patient sees crisis help at once and the therapist gets an alert. A false
alarm costs the patient one calm panel; a miss can cost far more, so where a sentence is ambiguous we alert.

How a text is read, in plain words (for a clinician reviewing this file)
-----------------------------------------------------------------------
1. Tidy the text. Letters are made plain (fancy Unicode letters, accents and capitals removed), curly quotes
   become straight ones, invisible characters are dropped, and the text is cut into words. A sentence end
   (. ! ? followed by a capital letter, or a new line) is kept as a marker, so a rule never joins words from
   two sentences; a full stop inside lower-case texting ("the tablets. all of them. at once") is a pause.
2. Spell it out. Short forms are written in full: "I'm" -> "i am", "dont" -> "do not", "wanna" -> "want to",
   "gonna" -> "going to", "kms" -> "kill myself", "id rather" -> "i would rather" and "ill do it" -> "i will
   do it" (only before a verb, so "my id card" and "I feel ill" stay), "od" -> "overdose", "self-harm", "self
   harm" and "sh urges" -> "selfharm", "my self" -> "myself", "with out" -> "without", stretched words
   ("dieeee") are shrunk, and one slip of the keyboard in "suicide", "suicidal", "myself" or "overdose"
   ("sucide", "suiside", "myslef") is corrected.
3. Look for crisis sentences with CRISIS_RULES. A rule is a short sequence of words:
     - a lower-case word must appear as written ("myself"); "in_front_of" is three words in a row;
     - an UPPER-CASE name stands for any word of a list below (DIE = die, dies, died, dying, dead, death)
       or for any of a few short phrases (KILL_SELF = "kill myself", "end my life", "take my own life" ...);
     - "~4" lets up to four other words sit in between, so "I want to die", "I really wish I could just
       die" and "I wish to God I was dead" all meet the rule "WANT ~4 DIE";
     - "a/b" means either, a trailing "?" means the item may be missing, a leading "!" means the next word
       must NOT be one of these, "." is the end of a sentence, "#" any number and "##" a number of 20 or more.
   The rules come in the order of the Columbia scale (C-SSRS), most serious first, and each names its
   category: preparatory (saving pills, goodbye notes, giving things away, "when I'm gone", attempts), plan
   (when and how worked out), method (hanging, jumping, overdose, wrists, guns, trains, drowning, looking
   methods up), intent ("I'm going to kill myself", "I'll do it tonight"), self-injury (cutting, burning,
   hitting oneself, on purpose), nonspecific-thoughts ("I keep thinking about killing myself"),
   wish-to-be-dead ("I wish I was dead", "better off without me", "I hope I don't wake up") and direct (the
   words suicide, suicidal, self-harm, overdose, kill myself, wherever they appear, even in "I have never
   been suicidal": a clinician would rather the panel showed).
4. Before that, QUIET_RULES blank out everyday phrases that use the same words but mean no harm: "this pain
   is killing me", "dying to go hiking", "to die for", "bored to death", "could kill for a coffee", "my phone
   died", other people's deaths, "I thought I was going to die" (fear in a flare), "I hurt myself lifting
   the shopping", "I took all my pills this morning". Each quiet rule is narrow and says why it is safe; it
   only removes its own words, so a crisis phrase elsewhere in the same text still alerts, and it never
   removes the direct words (suicide, self-harm, overdose): "my friend overdosed and died" alerts.

What it does not do: it does not understand sarcasm, quotation or a sentence whose meaning lives only in an
earlier one ("I've decided. Tonight."); it reads English only; letters swapped for look-alike symbols ("k1ll")
are not read. Some rules (a plan with "do it", "picked the day", "when I'm gone") alert on everyday sentences
too, on purpose. Grow the corpus (tests/safety/crisis_corpus.yaml) when a miss or a false alarm turns up.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Final, NamedTuple


def _list(words: str) -> frozenset[str]:
    """A word list written as one string: words are split on spaces and "_" joins a phrase ("going_to")."""
    return frozenset(word.replace("_", " ") for word in words.split())


# ------------------------------------------------------------------------------------------------------------
# Word lists. Every form a rule accepts is listed, so "hurting" and "harmed" are not forgotten again.
# ------------------------------------------------------------------------------------------------------------

WORDS: Final[dict[str, frozenset[str]]] = {
    # The person themself. "my self", "meself" and misspellings are spelled "myself" before the rules run.
    "SELF": _list("myself"),
    # Death and dying, in every form.
    "DIE": _list("die dies died dying dead death"),
    "KILL": _list("kill kills killed killing killin"),
    "END": _list("end ends ended ending finish finishing"),
    # Words that alert wherever they appear. "unalive" and "sewerslide" are social-media words for suicide;
    # "kys" ("kill yourself") is always worth a panel, said to oneself or quoted.
    "SUICIDE": _list(
        "suicide suicides suicidal suicidally suicidality unalive unalives unalived unaliving sewerslide kys"
    ),
    "SELFHARM": _list("selfharm selfharms selfharming selfharmed selfharmer nssi"),
    "OVERDOSE": _list("overdose overdoses overdosed overdosing"),
    # Wishing and wanting: the passive wish to be dead is built on these.
    "WANT": _list(
        "want wants wanted wanting wish wishes wished wishing hope hopes hoped hoping pray prays prayed"
        " praying rather sooner as_soon long longing ready crave craving yearn yearning desire would_like"
        " feel_like feels_like felt_like feeling_like"
    ),
    # Intending: "I will", "I'm going to", "I've decided to".
    "INTEND": _list(
        "will would shall going_to about_to plan plans planned planning intend intends intended intending"
        " decided decide deciding mean_to determined might could should need_to have_to got_to tempted"
        " close_to nearly almost"
    ),
    # Thinking, urges, voices.
    "THINK": _list(
        "think thinks thinking thought thoughts consider considered considering contemplate contemplated"
        " contemplating fantasise fantasize fantasised fantasized fantasising fantasizing fantasy fantasies"
        " dream dreams dreaming dreamt dreamed daydream daydreaming idea ideas imagine imagining imagined"
        " obsessing obsessed urge urges impulse impulses temptation tempted wonder wondering wondered voice"
        " voices picture picturing"
    ),
    # Attempts, interrupted or carried out.
    "TRIED": _list("try tries tried trying attempt attempts attempted attempting"),
    # Looking a method up.
    "LOOKUP": _list(
        "looked_up look_up looking_up googled google googling searched search searching researched research"
        " researching reading_about read_about read_up looked_into looking_into watched_videos"
    ),
    # Injuring oneself; with "myself" these alert even without a wish ("I cut myself again").
    "INJURE": _list(
        "hurt hurts hurting harm harms harmed harming injure injures injured injuring cut cuts cutting burn"
        " burns burned burnt burning stab stabs stabbed stabbing carve carved carving mutilate mutilated"
        " mutilating starve starved starving punch punched punching hit hits hitting scratch scratched"
        " scratching bruise bruised scald scalded slit slitting slash slashed slashing punish punished"
        " punishing"
    ),
    # Striking, for "I slammed my hand in the drawer on purpose".
    "STRIKE": _list(
        "hit hits hitting punch punched punching slam slammed slamming bang banged banging bash bashed"
        " bashing smash smashed smashing slap slapped slapping bite bit biting pinch pinched pinching kick"
        " kicked kicking"
    ),
    "CUT": _list("cut cuts cutting slit slits slitting slash slashed slashing carve carved carving"),
    # Where people cut or burn themselves.
    "BODY": _list(
        "wrist wrists arm arms thigh thighs leg legs skin stomach belly hip hips vein veins throat chest"
        " ankles forearm forearms"
    ),
    "HANG": _list("hang hangs hanged hanging hung"),
    # Moving oneself into harm's way.
    "MOVE": _list(
        "jump jumped jumping leap leapt leaping step stepped stepping walk walked walking lie lying lay"
        " laying throw_myself threw_myself throwing_myself fling_myself run running ran"
    ),
    # Jumping from a height.
    "JUMP": _list(
        "jump jumped jumping leap leapt leaping step stepped stepping throw_myself threw_myself"
        " throwing_myself fling_myself"
    ),
    "HEIGHT": _list(
        "bridge building cliff cliffs roof rooftop balcony tower block overpass flyover ledge window carpark"
        " car_park multistorey multi_storey parking_garage top_floor viaduct skyscraper"
    ),
    # Places people go to end their lives ("I stood on the bridge", "drove to the cliffs").
    "EDGE": _list(
        "cliff cliffs ledge roof rooftop viaduct railway_line railway_tracks tracks train_tracks multistorey"
    ),
    "VEHICLE": _list(
        "train trains bus lorry truck car cars traffic tube tram tracks railway motorway highway"
    ),
    "WATER": _list("sea river lake ocean canal reservoir"),
    # Things that kill, to think about: "I keep thinking about the rope in the shed".
    "MEANS": _list(
        "rope noose gun guns shotgun rifle firearm knife knives blade blades razor razors razorblade"
    ),
    "PILLS": _list(
        "pill pills tablet tablets meds medication medications medicine medicines painkillers painkiller"
        " paracetamol acetaminophen tylenol ibuprofen naproxen codeine cocodamol tramadol oxycodone oxy"
        " morphine opioids opiates gabapentin pregabalin amitriptyline insulin diazepam valium benzos xanax"
        " fentanyl sleeping_pills sleeping_tablets"
    ),
    # Putting pills by: the preparatory act.
    "STASH": _list(
        "save saved saving stockpile stockpiled stockpiling hoard hoarded hoarding stash stashed stashing"
        " squirrel squirrelled squirrelling squirreled hide hid hidden hiding store stored storing gather"
        " gathered gathering keeping_back put_aside putting_aside set_aside building_up"
    ),
    "STASHING": _list(
        "saving stockpiling hoarding stashing collecting squirrelling hiding storing stockpiled hoarded"
        " stashed"
    ),
    "NOTE": _list("note notes letter letters"),
    "GIVE": _list("give gives giving gave given rehome rehomed rehoming"),
    "THINGS": _list(
        "things stuff belongings possessions everything pets cat dog jewellery jewelry treasures"
    ),
    "BUY": _list("buy buying bought ordered order ordering purchased got get"),
    # Means bought in preparation.
    "BOUGHT": _list("rope noose gun blades razor_blades razorblades charcoal hosepipe helium"),
    "TAKE": _list("take takes took taken taking swallow swallowed swallowing down downed"),
    "ALL": _list("all whole entire every all_of the_whole the_entire the_rest_of"),
    "LOTS": _list("handful handfuls load loads lots bunch fistful too_many"),
    "PACK": _list("bottle bottles packet packets box boxes strip strips blister"),
    # All of them at once: "take them all", "swallow the lot".
    "THE_LOT": _list(
        "the_lot the_whole_lot them_all all_of_them the_whole_bottle the_whole_box the_whole_packet"
    ),
    "REASON": _list("reason reasons point purpose meaning"),
    # Saying there is none: "no reason", "what's the point", "I can't see a reason".
    "NO": _list("no not any nothing without lost lose losing what why find see"),
    "NOT": _list("not never no_longer"),
    # Being alive, for "don't want to be alive", "I wish I wasn't here".
    "ALIVE": _list(
        "alive here around exist existing existed born living live breathing in_this_world on_this_earth"
    ),
    # Others, pets and machines: the everyday subjects of "... died" and "... will kill me".
    "OTHERS": _list(
        "he she they his her their him them mum mom mother dad father parents grandmother grandma gran"
        " granny nan nana nanna grandfather grandpa grandad granddad grandparents brother sister son"
        " daughter husband wife partner boyfriend girlfriend fiance fiancee friend friends uncle aunt auntie"
        " aunty cousin niece nephew baby child children kid kids colleague neighbour neighbor boss dog cat"
        " pet hamster rabbit horse fish goldfish bird people patients patient someone somebody character"
        " hero man woman guy lady actor singer queen king relatives phone battery laptop car plant plants"
        " computer tablet charger tv wifi internet engine fridge hoover kindle watch conversation mood party"
        " flowers tree everyone"
    ),
    # "I thought I was going to die": fear, or a feeling of dying, not a wish.
    "BELIEF": _list(
        "think thought thinking feel felt feeling afraid scared worried worry worrying terrified fear feared"
        " frightened sure convinced panic panicking panicked believed like certain"
    ),
    # "bored to death", "sick to death of": very, not death.
    "TO_DEATH": _list(
        "bored bore bores boring scared scare scares worried worry worries sick tired frightened frighten"
        " terrified love loved loves laughed laugh tickled freezing frozen worked work stressed annoyed"
        " nagged done talked fed_up"
    ),
    # What a person was doing when they hurt themselves by accident.
    "ACTIVITY": _list(
        "accidentally accident lifting lift carrying carry moving move bending bend twisting twist reaching"
        " reach running run jogging walking walk exercising exercise exercises training stretching stretch"
        " gardening cleaning hoovering vacuuming cooking chopping slicing shaving ironing playing climbing"
        " cycling swimming dancing falling fell fall tripped slipped tripping slipping overdoing overdo"
        " pushing hiking skiing opening mowing digging sport gym yoga pilates physio lifted carried moved"
        " bent twisted reached ran walked exercised stretched cleaned cooked chopped shaved played climbed"
        " tripped slipped pushed pulled dug mowed hoovered at_work in_the_garden on_the_stairs on_the_oven"
        " on_the_stove on_the_kettle on_the_iron on_a_knife on_the_knife on_a_nail on_the_door on_glass"
        " on_a_tin on_the_pan on_the_grill on_the_cupboard on_the_table on_the_shelf on_the_corner"
        " on_the_bed on_the_car_door on_the_hob on_the_radiator hot_water_bottle heat_pad heat_pack"
        " heating_pad wheat_bag kettle oven stove iron hob pan tray grill radiator candle sunburn sunbathing"
        " in_the_kitchen"
    ),
}

# Phrases: named alternatives, written in the same small language as the rules.
PHRASES: Final[dict[str, tuple[str, ...]]] = {
    # Killing oneself, said outright.
    "KILL_SELF": (
        "KILL SELF",
        "END my ~1 life/existence/days",
        "finish ~1 my life",
        "TAKE my own? life !back",
        "END it all",
        "off/top SELF",
        "do SELF in",
        "SUICIDE",
    ),
    # Ending it: only with a wish or intent, and not "end it with him" or "end it there".
    "END_IT": ("END it/things/everything !with/there/here/off/early/up/at/by/in/to/over", "END this ."),
    # Harming oneself.
    "INJURE_SELF": ("INJURE SELF", "SELFHARM", "CUT/burn/burned/burnt ~1 my? BODY", "make SELF bleed"),
    # A method of suicide named with the person: these alert on their own.
    "METHOD_ACT": (
        "HANG SELF",
        "noose",
        "JUMP ~3 off/from ~3 HEIGHT",
        "MOVE ~3 in_front_of/under ~2 VEHICLE",
        "lie/lay/lying/laying ~2 on/across ~2 tracks/rails/railway/railway_line/motorway",
        "drown/drowning/drowned SELF",
        "shoot/shot/shooting SELF !in_the_foot",
        "gun/shotgun/rifle ~3 my? head/mouth/SELF/me",
        "bullet ~3 my? head/brain",
        "blow my brains out",
        "CUT/open ~2 my? wrist/wrists/throat/veins",
        "poison/poisoning/gas/gassing/suffocate/suffocating/electrocute/strangle/smother SELF",
        "set SELF on fire/alight",
        "bag ~1 over my head/face",
        "crash/crashing/crashed ~2 car ~2 on_purpose/deliberately",
    ),
    # A method that alerts beside a wish, a thought or an intent: "think about jumping", "take them all".
    "METHOD_THOUGHT": (
        "METHOD_ACT",
        "OVERDOSE",
        "jump/jumping/leap/leaping ./in_front/off_.",
        "hanging .",
        "drowning/drown .",
        "step/stepping off ./the_edge/the_platform/the_ledge/the_roof/the_bridge",
        "drive/driving/drove/crash/crashing ~3 off/into ~3"
        " wall/tree/bridge/cliff/lorry/truck/river/oncoming/it",
        "MOVE/swim/wade ~2 into/out_into ~2 WATER",
        "carbon monoxide",
        "exhaust ~2 pipe/fumes",
        "running/run/ran ~2 car/engine ~4 garage",
        "ALL ~2 my? PILLS/PACK",
        "LOTS ~2 PILLS",
        "THE_LOT !back/to/out/off/away/home/with/at/in/every/each/apart",
    ),
    # Not being here: the object of the passive wish.
    "NOT_HERE": (
        "NOT ~2 ALIVE",
        "gone !to/on/for/out/away/home/back/shopping",
        "DIE",
        "disappeared",
        "no more",
        "NOT ~1 woken/wake/woke/wakes/waking",
    ),
    # When medicine is taken as prescribed: "took all my pills this morning", "with breakfast", "at 8".
    "ROUTINE": (
        "today/this/on_time/as/with/every/each/yesterday/correctly/at_#/at_breakfast/at_lunch/at_dinner"
        "/at_bedtime/at_night/at_different/at_the_same/in_the_morning/in_the_evening/together/before/after"
        "/when",
    ),
    # Waking, but not "wake up at 5" or "wake up early": the alarm clock, not a wish.
    "WAKING": (
        "wake/woke/waking !up/once/until/till/til/during/through",
        "wake/woke/waking up !at/early/before/in_time/on_time/so_early/for/#/once/until/till/til"
        "/during/through",
    ),
}


class Rule(NamedTuple):
    """A crisis rule: its name, its C-SSRS category and its pattern in the small rule language above."""

    name: str
    category: str
    pattern: str


class Quiet(NamedTuple):
    """An everyday phrase that uses crisis words without meaning harm; its words are blanked before the rules.

    A quiet rule stays off in a sentence that has any of the words in `unless`.
    """

    name: str
    pattern: str
    unless: frozenset[str] = frozenset()


# An injury "on purpose" is never an accident, whatever the sentence says about the kitchen.
ON_PURPOSE: Final = _list("purpose deliberately intentionally purposely")


# ------------------------------------------------------------------------------------------------------------
# Crisis rules, most serious category first. crisis_category() reports the first rule that matches.
# ------------------------------------------------------------------------------------------------------------

CRISIS_RULES: Final[tuple[Rule, ...]] = (
    # --- preparatory: acts that get ready, and attempts ---
    # Saving up pills: "I've been saving up my pills", "stockpiling tablets", "a stash of painkillers".
    Rule("pills-put-by", "preparatory", "STASH ~3 PILLS"),
    Rule("pills-put-by-after", "preparatory", "PILLS ~3 STASHING"),
    Rule("collecting-pills", "preparatory", "collect/collected/collecting/collection of? PILLS"),
    Rule("instead-of-taking", "preparatory", "PILLS ~6 instead_of_taking/rather_than_taking"),
    # Pills ready: "the pills counted out in a jar", "I had the pills in my hand".
    Rule(
        "pills-ready",
        "preparatory",
        "PILLS ~3 stash/hiding_place/saved_up/stockpile/in_my_hand/in_my_hands/counted_out",
    ),
    # Buying around the pack limit: "two boxes of paracetamol from two different shops".
    Rule(
        "pills-from-shops",
        "preparatory",
        "PILLS/PACK ~6 different/separate/several/multiple ~1 shops/pharmacies/chemists/supermarkets/stores",
    ),
    # A goodbye or suicide note: "I wrote a goodbye letter", "a letter explaining why", "he found my note".
    Rule("goodbye-note", "preparatory", "SUICIDE/goodbye/goodbyes/farewell NOTE"),
    Rule("note-saying-goodbye", "preparatory", "NOTE ~4 goodbye/goodbyes/farewell"),
    Rule("note-explaining-why", "preparatory", "NOTE ~1 explaining/explain/saying why"),
    Rule("found-my-note", "preparatory", "found/finds/find my NOTE ./and/hidden/before"),
    # Saying goodbye to everyone: "I've said goodbye to everyone in my own way".
    Rule(
        "said-goodbye",
        "preparatory",
        "said/saying/say ~1 goodbye/goodbyes ~1 to? everyone/everybody/the_world/my_family"
        " ./in/properly/forever/for_good",
    ),
    # Arrangements for after death: "for after I'm gone", "when I die", "my funeral", "affairs in order".
    Rule(
        "when-im-gone",
        "preparatory",
        "when/after/once i ~1 am/have/be/is/was? ~1 gone/DIE !to/on/for/out/away/home/back/shopping/abroad",
    ),
    Rule("my-funeral", "preparatory", "my own? funeral"),
    Rule("affairs-in-order", "preparatory", "affairs in order"),
    # Giving things away: "I've been giving my things away", "gave my guitar away, I won't need it".
    Rule("giving-away", "preparatory", "GIVE ~3 THINGS away"),
    Rule("giving-away-after", "preparatory", "GIVE away ~3 THINGS"),
    Rule("will-not-need-it", "preparatory", "GIVE ~10 not need ~1 it/them/anything/this/these/that"),
    # Getting the means: "I bought a rope", "ordered charcoal".
    Rule("means-bought", "preparatory", "BUY ~3 BOUGHT"),
    # An attempt, carried out or stopped: "I tried to kill myself", "attempted to overdose".
    Rule("attempt", "preparatory", "TRIED ~3 KILL_SELF/METHOD_THOUGHT/END_IT"),
    # Swallowing a lot at once: "I took all my pills", "swallowed the whole bottle", "took 40 naproxen".
    Rule("took-all-the-pills", "preparatory", "TAKE ~2 ALL ~3 PILLS/PACK"),
    Rule("took-lots-of-pills", "preparatory", "took/swallowed/taken/downed ~2 LOTS ~3 PILLS/PACK"),
    Rule("took-many-pills", "preparatory", "TAKE ~1 ## PILLS"),
    Rule(
        "took-them-all",
        "preparatory",
        "TAKE ~1 THE_LOT !back/to/out/off/away/home/with/at/in/every/each/apart",
    ),
    Rule("all-at-once", "preparatory", "them_all/all_of_them/the_lot/PILLS ~1 at_once/in_one_go"),
    # In hospital after pills: "I was in A&E after I took the pills", "had my stomach pumped".
    Rule(
        "hospital-after-pills",
        "preparatory",
        "hospital/ambulance/paramedics/icu ~6 took/swallowed/taken ~2 PILLS/too_many/the_lot/them_all",
    ),
    Rule("stomach-pumped", "preparatory", "stomach pumped"),
    # Going to the place: "I stood on the bridge last night", "drove to the cliffs", "got as far as the roof".
    Rule(
        "stood-at-the-edge",
        "preparatory",
        "i ~2 stood/standing/stand/sat/sitting/sit/climbed/climbing/got_as_far_as ~3 bridge/edge/EDGE"
        " !club/game/night/of",
    ),
    Rule(
        "went-to-the-edge",
        "preparatory",
        "i ~2 went/drove/driven/got/walked/headed ~2 to/up_to/out_to/onto ~2 EDGE",
    ),
    # --- plan: when, where or how worked out ---
    # Going through with it, or not: "I couldn't go through with it", "I'm ready to go through with it".
    Rule("go-through-with-it", "plan", "go/went/gone/going through with it"),
    # When and how: "I've decided how and when", "I've written down how I'm going to do it".
    Rule("how-and-when", "plan", "how_and_when/when_and_how/where_and_when/when_and_where/how_and_where"),
    Rule(
        "how-i-will-do-it",
        "plan",
        "how/when/where i ~1 INTEND/am/will ~2"
        " do_it_./do_it_i/do_it_and/do_it_but/do_it_so/do_it_because/KILL_SELF/END_IT",
    ),
    Rule(
        "worked-out-how",
        "plan",
        "know/knew/worked_out/figured_out/decided/planned/picked/chosen/chose/set ~3 how/when/where"
        " ~4 KILL_SELF/METHOD_THOUGHT/END_IT/DIE",
    ),
    # A date, a day, a place: "I've chosen the day", "a plan and a date", "picked the bridge", "which tree".
    Rule("chosen-the-day", "plan", "i ~2 picked/chosen/chose/set/decided_on the/a ~1 day/date/time ."),
    Rule("plan-and-date", "plan", "plan ~2 and ~1 date/time/place/day/method"),
    Rule(
        "chosen-the-place",
        "plan",
        "picked/chosen/chose/worked_out/decided_on/scoped_out ~2 the/which/a ~1 HEIGHT/EDGE/tree/method",
    ),
    Rule("train-times", "plan", "times/timetable ~4 train/trains ~1 come/comes/go/goes/pass/passes through"),
    Rule("planned-it", "plan", "i ~2 planned/planning it ~1 for/on/tonight/tomorrow/."),
    Rule("tonight-the-night", "plan", "tonight is the night ./i/and/so"),
    # A plan: "I have a plan to end it", "my plan is to walk into the sea".
    Rule("a-plan", "plan", "plan/plans/planned/planning ~8 KILL_SELF/METHOD_THOUGHT/END_IT/DIE"),
    # --- method: a way of dying named, or looked up ---
    # Looking a method up: "I looked up hanging methods", "googled how many pills it would take".
    Rule("looked-up-method", "method", "LOOKUP ~5 OVERDOSE/SUICIDE/lethal/ways_to_die/METHOD_ACT"),
    Rule("method-list", "method", "HANG/SUICIDE/OVERDOSE method/methods/ways/techniques"),
    Rule(
        "how-many-pills",
        "method",
        "how many/much ~3 PILLS ~3 it_would_take/would_it_take/it_takes/does_it_take/it_will_take/to_kill"
        "/KILL/DIE/NOT_wake/to_do_it",
    ),
    Rule("how-many", "method", "how many/much ~5 KILL/DIE/lethal/fatal/NOT_wake/OVERDOSE"),
    Rule("lethal-dose", "method", "lethal/fatal/deadly/toxic dose/doses/amount/overdose/quantity"),
    Rule("ways-to-die", "method", "way/ways/method/methods/how to ~1 DIE/KILL_SELF"),
    Rule("painless-death", "method", "painless ~2 death/exit/suicide"),
    Rule(
        "quickest-way",
        "method",
        "painless/quickest/easiest/quick/easy/best ~2 way/ways/method ~1 to ~1 DIE/KILL_SELF/END_IT/go_.",
    ),
    Rule(
        "how-easy", "method", "how_easy/how_simple ~4 to ~1 step_off/jump/END_IT/swerve/drive_off/KILL_SELF"
    ),
    Rule("enough-pills", "method", "enough ~2 PILLS ~3 KILL/DIE/END_IT/OVERDOSE/NOT_wake/do_it"),
    Rule("pills-would-do-it", "method", "PILLS/MEANS ~3 would/will/could/might do_it ./if/for_good"),
    Rule("pills-not-wake", "method", "PILLS ~4 NOT ~1 wake up? from"),
    # A method named with the person: "I'm going to hang myself", "jump off the bridge", "slit my wrists".
    Rule("method", "method", "METHOD_ACT"),
    # A method with a thought, wish or intent: "I think about jumping", "my plan is to walk into the sea".
    Rule("method-thoughts", "method", "THINK/WANT/INTEND ~5 METHOD_THOUGHT"),
    Rule("means-thoughts", "method", "THINK ~3 MEANS"),
    Rule("crossed-my-mind", "method", "METHOD_THOUGHT/MEANS ~4 crossed/crosses/crossing/on/in my mind/head"),
    Rule("using-it-on-me", "method", "THINK/WANT/INTEND ~2 use/using it/them/that/MEANS ~1 on SELF/me"),
    # --- intent ---
    # Intent: "I'm going to kill myself", "I've decided to end it", "I'm ending it", "I'm going to jump".
    Rule("intent", "intent", "INTEND ~3 KILL_SELF/END_IT"),
    Rule("i-am-ending-it", "intent", "i am/will ~1 END_IT"),
    Rule("going-to-jump", "intent", "INTEND ~1 jump/leap ."),
    Rule("go-to-the-edge", "intent", "INTEND ~2 go/going/head/drive ~1 to/up_to ~1 the? EDGE"),
    Rule("something-to-myself", "intent", "INTEND ~2 do something ~1 to_myself/stupid/drastic"),
    # Doing "it" with a time or a condition: "I'll do it after the wedding", "I'm going to do it this time".
    Rule(
        "do-it",
        "intent",
        "i ~1 INTEND ~1 do it ./this_time/tonight/after/when/before/once/soon/then/for_real",
    ),
    Rule("doing-it-this-time", "intent", "do/doing it this_time/for_real"),
    # --- self-injury ---
    # Self-harm words: "self-harm", "sh urges", "I relapsed on self harm".
    Rule("self-harm-word", "self-injury", "SELFHARM"),
    # Wanting, planning or thinking about hurting oneself: "I keep thinking about hurting myself".
    Rule("hurt-self-wish", "self-injury", "WANT/INTEND/THINK/TRIED ~4 INJURE SELF"),
    # Injuring oneself: "I cut myself again", "burned myself with a lighter", "I want to punish myself".
    Rule("injured-self", "self-injury", "INJURE_SELF"),
    # On purpose: "I burned my arm with a lighter on purpose", "slammed my hand in the drawer deliberately".
    Rule("on-purpose", "self-injury", "INJURE/STRIKE ~1 my/SELF ~6 on_purpose/deliberately/intentionally"),
    Rule("on-purpose-before", "self-injury", "deliberately/purposely/intentionally ~1 INJURE/STRIKE"),
    Rule("make-it-hurt", "self-injury", "to make it/SELF/me hurt/bleed/burn more/worse"),
    Rule(
        "deserve-pain",
        "self-injury",
        "i deserve/deserved ~1 to? hurt/suffer/punishment/the_pain/this_pain/to_be_punished/pain_.",
    ),
    # Cutting as a habit: "I've been cutting again", "clean from cutting", "the urge to cut".
    Rule(
        "cutting",
        "self-injury",
        "cutting again/./and/but/since/for/last/yesterday/scars/marks/habit/urges/relapse",
    ),
    Rule(
        "cut-again",
        "self-injury",
        "i/started/relapsed/urge/urges/resisted/resist/stop/stopped/keep/kept ~2 cut/cuts again/.",
    ),
    Rule("want-to-cut", "self-injury", "WANT/THINK/INTEND ~2 to CUT ./again/deeper/tonight/so/badly/is/was"),
    Rule("cuts-on-me", "self-injury", "cuts/slashes ~2 on/across/up/down my ~1 BODY"),
    Rule("cut-into-me", "self-injury", "CUT/burn/burned/burnt ~1 into my ~1 BODY"),
    Rule(
        "blade-on-me",
        "self-injury",
        "blade/blades/razor_blade/knife/scissors/lighter/cigarette ~4 on/into/across/to my ~1 BODY",
    ),
    # Hitting oneself: "I bang my head against the wall", "hitting my head with my fist".
    Rule("head-against-wall", "self-injury", "STRIKE ~1 my head ~2 against/into ~2 wall/walls/floor/door"),
    Rule("with-my-fist", "self-injury", "STRIKE ~4 with_my_fist/with_my_fists/with_a_belt"),
    # Scratching or picking until blood comes: "I scratch my arms until they bleed".
    Rule("until-it-bleeds", "self-injury", "until/till/til/enough_to/point_of ~3 bleed/bleeds/bled/bleeding"),
    # --- nonspecific thoughts of suicide ---
    # Wanting or thinking about killing oneself: "I want to kill myself", "thinking about ending it all".
    Rule("kill-self-thoughts", "nonspecific-thoughts", "WANT/THINK ~4 KILL_SELF/END_IT"),
    # Voices or a brain that say so: "my brain keeps telling me to end it".
    Rule(
        "telling-me-to",
        "nonspecific-thoughts",
        "tell/tells/telling/told me ~1 to ~1 KILL_SELF/END_IT/DIE/jump_./INJURE_SELF",
    ),
    # Thoughts of death: "I think about dying all the time", "thoughts of death".
    Rule("death-thoughts", "nonspecific-thoughts", "THINK ~3 DIE/SUICIDE"),
    # --- wish to be dead ---
    # The passive wish: "I want to die", "I wish I was dead", "I'd rather be dead", "feel like dying".
    Rule("wish-dead", "wish-to-be-dead", "WANT ~4 DIE"),
    # Wishing not to be: "I wish I wasn't here", "I wish I'd never been born", "I hope I don't wake up".
    Rule("wish-not-here", "wish-to-be-dead", "WANT ~2 i/to ~3 NOT_HERE"),
    # Not wanting to live: "I don't want to be alive anymore", "I no longer want to live".
    Rule(
        "not-want-alive",
        "wish-to-be-dead",
        "NOT WANT ~1 to ~1 be? ALIVE/WAKING/go_on/carry_on !in/at/with/near/for",
    ),
    # Not waking: "go to sleep and never wake up", "I wish I could sleep forever".
    Rule("never-wake", "wish-to-be-dead", "sleep/asleep ~3 never ~1 WAKING"),
    Rule("wish-not-wake", "wish-to-be-dead", "WANT ~6 sleep/asleep ~3 NOT ~1 wake/woke/waking"),
    Rule("rather-not-wake", "wish-to-be-dead", "WANT ~1 NOT ~1 WAKING"),
    Rule(
        "sleep-forever",
        "wish-to-be-dead",
        "WANT ~4 sleep/asleep/rest ~1 forever/for_ever/for_good/permanently",
    ),
    Rule("eternal-sleep", "wish-to-be-dead", "eternal/permanent/endless sleep/rest"),
    Rule(
        "god-take-me",
        "wish-to-be-dead",
        "god/lord/jesus ~1 would/will/please/just/to/can/could/should ~1 take/takes me",
    ),
    Rule("pray-take-me", "wish-to-be-dead", "WANT ~6 take/takes me ~1 in_my_sleep/away/home/now"),
    # Better off: "everyone would be better off without me", "better off dead", "better I am dead".
    Rule("better-off", "wish-to-be-dead", "better/easier/happier off? ~2 DIE/without_me"),
    Rule("better-off-gone", "wish-to-be-dead", "better/easier/happier off ~1 gone"),
    Rule(
        "fine-without-me",
        "wish-to-be-dead",
        "everyone/everybody/they/world/family ~3 fine/okay/ok/better/happier without_me",
    ),
    Rule("better-off-if", "wish-to-be-dead", "better/easier/happier ~3 if/when i ~3 NOT_HERE"),
    # Would not mind: "I wouldn't care if I died tomorrow", "if a bus hit me I wouldn't mind".
    Rule("would-not-mind", "wish-to-be-dead", "NOT ~1 mind/care/bothered ~2 if i ~3 NOT_HERE"),
    Rule(
        "would-not-mind-hit", "wish-to-be-dead", "NOT ~1 mind/care/bothered ~2 if ~4 hit_me/killed_me/took_me"
    ),
    Rule(
        "would-not-mind-after",
        "wish-to-be-dead",
        "if i ~4 NOT_HERE ~6 not_mind/not_care/be_ok/be_okay/be_fine/be_alright/a_relief/be_a_relief",
    ),
    Rule(
        "hit-would-not-mind",
        "wish-to-be-dead",
        "if ~4 hit_me/killed_me ~6 not_mind/not_care/be_ok/be_fine/a_relief",
    ),
    Rule("happy-if-gone", "wish-to-be-dead", "happy/glad/relieved/grateful ~2 if i ~3 NOT_HERE"),
    # No reason: "no reason to live", "nothing to live for", "lost the will to live", "no point in going on".
    Rule(
        "no-reason", "wish-to-be-dead", "NO ~2 REASON ~3 live/living/alive/existing/exist/be_here/being_here"
    ),
    Rule(
        "no-reason-go-on",
        "wish-to-be-dead",
        "NO ~2 REASON ~3 going_on/carrying_on/keep_going ./anymore/any_longer/like_this",
    ),
    Rule("no-will-to-live", "wish-to-be-dead", "NO ~2 will/desire/wish/want/urge to live/living/go_on/exist"),
    Rule("nothing-to-live-for", "wish-to-be-dead", "nothing/no_one/nobody ~2 to live for"),
    Rule("not-worth-living", "wish-to-be-dead", "not/no/isnt worth ~1 living/being_alive/life"),
    Rule("life-not-worth-it", "wish-to-be-dead", "life/living/existence ~3 not/isnt worth ~1 it"),
    Rule("still-here", "wish-to-be-dead", "why ~2 i ~2 still here/alive/around/breathing/living"),
    # Cannot go on: "I can't go on like this", "I can't do this anymore", "can't live like this".
    Rule(
        "cannot-go-on",
        "wish-to-be-dead",
        "can/could not ~1 go_on/carry_on/keep_going/keep_living/live/continue/exist/do_this/do_it/cope"
        " like_this/anymore/any_longer/./much_longer/this_way/with_this/with_life/with_it",
    ),
    # Wanting it all to end: "I want it all to end", "I wish it would all stop for good".
    Rule(
        "all-to-end",
        "wish-to-be-dead",
        "WANT ~3 it_all/everything/all_of_this/all_this/my_life/all ~1 to? END/over/stop !hurting/aching",
    ),
    Rule("life-to-end", "wish-to-be-dead", "life ~4 WANT it to END/over/stop"),
    Rule(
        "terminal-wish",
        "wish-to-be-dead",
        "WANT ~2 i ~2 had/got/get ~1 something_terminal/terminal/cancer/a_heart_attack",
    ),
    # Disappearing for good: "I want to disappear", "I wish I could stop existing".
    Rule("disappear", "wish-to-be-dead", "i/to/me ~2 disappear/vanish ~2 forever/for_good/permanently"),
    Rule("disappear-wish", "wish-to-be-dead", "WANT to/i ~2 disappear/vanish ."),
    Rule("stop-existing", "wish-to-be-dead", "stop/cease/quit existing/living/being_alive/to_exist"),
    # Tired of life: "tired of living", "sick of being alive", "done with life", "had enough of this life".
    Rule(
        "tired-of-life",
        "wish-to-be-dead",
        "tired/sick/done/weary/exhausted/fed_up/enough ~1 of/with ~1 living/life/being_alive/existing",
    ),
    # Someone to kill me: "I wish someone would kill me", "I hope a bus hits me", "I think to kill me".
    Rule("kill-me-wish", "wish-to-be-dead", "WANT ~3 KILL me"),
    Rule("kill-me-thought", "wish-to-be-dead", "THINK about/of/to KILL me"),
    Rule("hit-me-wish", "wish-to-be-dead", "WANT ~3 VEHICLE/bus/lightning ~2 hit/hits/kill/kills me"),
    Rule("let-me-die", "wish-to-be-dead", "let me DIE/go_."),
    # Nobody would miss me: "no one would notice if I was gone".
    Rule("nobody-would-care", "wish-to-be-dead", "nobody/no_one/who ~3 care/notice/miss ~3 if i ~2 NOT_HERE"),
    Rule(
        "nobody-would-care-after",
        "wish-to-be-dead",
        "if i ~2 NOT_HERE ~4 nobody/no_one/who ~2 care/notice/miss",
    ),
    # Not being around much longer: "I won't be here much longer".
    Rule(
        "not-around-long",
        "wish-to-be-dead",
        "not be here/around ~1 much_longer/for_long/anymore/for_much_longer",
    ),
    # Never been born: "I wish I'd never been born".
    Rule("never-born", "wish-to-be-dead", "never ~2 born"),
    Rule("wish-not-born", "wish-to-be-dead", "WANT ~3 not ~2 born"),
    # End my suffering: "I just want to end my suffering", "someone put me out of my misery".
    Rule("end-my-suffering", "wish-to-be-dead", "END my/the ~1 suffering/misery"),
    Rule("out-of-misery", "wish-to-be-dead", "out of my misery"),
    # --- direct words ---
    # Suicide, suicidal, overdose, kill myself, end my life, take my own life, end it all: always alert.
    Rule("direct", "direct", "KILL_SELF"),
    Rule("overdose-word", "direct", "OVERDOSE"),
)

# ------------------------------------------------------------------------------------------------------------
# Quiet rules: everyday phrases. Their words are blanked before the crisis rules run, so "this pain is killing
# me" does not alert, but "this pain is killing me and I want to die" still does. The direct words (suicide,
# self-harm, overdose) are never blanked: "my brother's friend overdosed and died" still alerts.
# ------------------------------------------------------------------------------------------------------------

QUIET_RULES: Final[tuple[Quiet, ...]] = (
    # "I'm dying to go hiking", "dying for a cup of tea": eager, not dying.
    Quiet("dying-to", "dying to/for !be/death/end/myself/die"),
    # "That cake was to die for": delicious.
    Quiet("to-die-for", "to die for"),
    # "bored to death", "sick to death of", "scared me to death": very, not death.
    Quiet("to-death", "TO_DEATH ~1 to death"),
    # "I hope the pain dies down": easing off, not dying.
    Quiet("dies-down", "DIE down/off/away/out"),
    # "we were killing it", "you killed it": doing well.
    Quiet("killing-it", "KILL it"),
    # "this pain is killing me", "my feet are killing me": the everyday figure of speech for bad pain.
    Quiet("is-killing-me", "killing me"),
    # "my sister will kill me if I miss her birthday": someone cross, not a wish.
    Quiet("others-will-kill-me", "OTHERS ~3 KILL me"),
    # "I could kill for a coffee", "I'd kill to sleep through the night": craving, not killing.
    Quiet("kill-for", "kill for/to !myself/me"),
    # "kill time", "kill the pain", "kill the weeds": killing things, not oneself.
    Quiet(
        "kill-things", "KILL time/two_hours/an_hour/the_pain/the_mood/the_vibe/the_bugs/germs/weeds/the_weeds"
    ),
    # "my grandmother died", "his death", "my phone died": other people's, pets' and machines' deaths.
    Quiet("others-death", "OTHERS ~2 DIE"),
    # "Dad wanted to die at home": someone else's wish, not the patient's.
    Quiet("others-wish", "OTHERS ~2 WANT ~3 DIE"),
    # "I thought I was going to die", "it felt like I was dying": fear or pain in a flare, not a wish.
    Quiet(
        "fear-of-dying",
        "BELIEF ~1 that/like? i am/was/were/would/will/might/could/may"
        " going_to/gonna/about_to/actually/really? DIE",
    ),
    # "I feel like death", "looked like death warmed up": feeling very unwell.
    Quiet("like-death", "feel/felt/feeling/look/looked/looking/looks like death"),
    # "places to see before I die", "I'll be in pain until I die": a natural death in the far future.
    Quiet("before-i-die", "before/until/till/til i ~1 DIE"),
    # "I want to die my hair": a misspelling of dye.
    Quiet("dye-hair", "die/died/dying my/her/his/the ~1 hair/roots/clothes/fabric"),
    # "dead tired", "dead on my feet", "dead serious", "a dead end": very, not dead.
    Quiet(
        "dead-very",
        "dead tired/serious/set/end/ends/good/easy/on_my_feet/beat/sure/right/heavy/bored/quiet/chuffed",
    ),
    # "pain like a knife", "like razor blades in my throat": how pain feels.
    Quiet("like-a-knife", "like ~2 MEANS/glass"),
    # "the massage gun on my back": a pain-relief gadget, not a gun.
    Quiet("massage-gun", "massage/glue/nail/heat/staple/water/nerf/squirt gun/guns"),
    # "I shot myself in the foot": made things harder for myself.
    Quiet("shot-in-foot", "shoot/shot SELF in the foot"),
    # "I want to take my life back": recovery language.
    Quiet("take-life-back", "take back my life"),
    # "don't kill yourself over the chores": the idiom for overdoing it, said to oneself.
    Quiet("kill-yourself-over", "KILL yourself over/trying/doing/with/for/to/getting"),
    # "I'll do it after lunch": the day's exercise, done at a time of day.
    Quiet(
        "do-it-after-lunch",
        "do it ~1 after/before/at/during/with ~2 lunch/breakfast/dinner/tea/supper/work/walk/rest/nap/physio"
        "/class/video/break/shower/coffee",
    ),
    # "hurting doesn't mean I'm harming myself": the program's lesson, not self-harm.
    Quiet("does-not-mean-harm", "mean/means/meant ~2 INJURE SELF"),
    # "I hurt myself lifting the shopping", "afraid I'll hurt myself if I exercise": an injury, not self-harm.
    Quiet("hurt-by-accident", "INJURE SELF ~4 ACTIVITY", unless=ON_PURPOSE),
    Quiet("accidentally-hurt", "accidentally ~1 INJURE", unless=ON_PURPOSE),
    # "cut my finger chopping onions", "burned my hand on the oven": a kitchen or garden accident.
    Quiet("cut-by-accident", "CUT/burn/burned/burnt ~1 my ~1 BODY ~3 ACTIVITY", unless=ON_PURPOSE),
    # "I took all my pills this morning", "I take them all with breakfast": medicine as prescribed.
    Quiet("took-pills-as-prescribed", "ALL ~1 PILLS ROUTINE"),
    Quiet("took-them-as-prescribed", "them_all/all_of_them ROUTINE"),
    # "I take 24 tablets a day": a long prescription, not an overdose.
    Quiet("pills-a-day", "# PILLS a/per/each/every/daily/in_a"),
    # "I hide my pills from the grandchildren": keeping medicine safe.
    Quiet(
        "pills-from-children",
        "hide/hid/hiding/hidden ~3 PILLS ~1 from/away_from ~1 the/my? kids/children/grandchildren/grandkids"
        "/toddler/dog/cat/pets/grandson/granddaughter/visitors",
    ),
    # "bought new rope for the washing line": rope for a job.
    Quiet("rope-for-a-job", "rope/blades/charcoal/helium for/to"),
    # "like banging my head against a brick wall": frustration.
    Quiet("brick-wall", "against a/the? brick wall"),
    # "end it with him", "end things with my partner": a relationship.
    Quiet("end-relationship", "END ~1 it/things ~2 with/between ~1 him/her/them/my"),
)

# ------------------------------------------------------------------------------------------------------------
# Normalisation tables.
# ------------------------------------------------------------------------------------------------------------

# Single words written in full. Apostrophes are already straight; generic endings (n't, 'm, 're, 've, 'll,
# 'd, 's) are handled in _expand. These are the irregular ones and texting forms without an apostrophe.
# fmt: off
SPELLED_OUT: Final[dict[str, str]] = {
    "can't": "can not", "cant": "can not", "cannot": "can not", "won't": "will not", "wont": "will not",
    "shan't": "shall not", "ain't": "am not", "aint": "am not", "dont": "do not", "didnt": "did not",
    "doesnt": "does not", "isnt": "is not", "wasnt": "was not", "arent": "are not", "werent": "were not",
    "havent": "have not", "hasnt": "has not", "hadnt": "had not", "wouldnt": "would not",
    "couldnt": "could not", "shouldnt": "should not", "mustnt": "must not", "im": "i am", "ive": "i have",
    "youre": "you are", "theyre": "they are", "thats": "that is", "whats": "what is", "theres": "there is",
    "wanna": "want to", "gonna": "going to", "gotta": "got to", "tryna": "trying to", "hafta": "have to",
    "u": "you", "ur": "your", "r": "are", "kms": "kill myself", "ctb": "suicide",
    "meself": "myself", "mysef": "myself", "mysel": "myself",
    "od": "overdose", "od'd": "overdosed", "oded": "overdosed", "od'ed": "overdosed", "oding": "overdosing",
    "od'ing": "overdosing", "ods": "overdoses", "overdoze": "overdose", "noone": "no one",
    "selfinjury": "selfharm", "razorblade": "razor blade", "codamol": "cocodamol", "a&e": "hospital",
}
# fmt: on

# "'s" becomes "is" after these words ("it's", "life's"); otherwise it is a possessive and is dropped.
IS_AFTER: Final = _list(
    "it that there here what who he she life everything nothing everyone nobody where how this tonight today"
)

# Two words joined into one, so the rules need only one spelling.
# fmt: off
JOINED: Final[dict[str, str]] = {
    "my self": "myself", "me self": "myself", "kill my self": "kill myself",
    "self harm": "selfharm", "self harming": "selfharming", "self harmed": "selfharmed",
    "self harms": "selfharms",
    "self injury": "selfharm", "self injure": "selfharm", "self injuring": "selfharming",
    "self injured": "selfharmed", "self injurious": "selfharm", "self mutilation": "selfharm",
    "self mutilate": "selfharm", "self mutilating": "selfharming", "self hurt": "selfharm",
    "self hurting": "selfharming", "sewer slide": "sewerslide", "un alive": "unalive",
    "over dose": "overdose",
    "over dosed": "overdosed", "over dosing": "overdosing", "any more": "anymore", "co codamol": "cocodamol",
    "with out": "without",
}
# fmt: on

# "id" means "I'd" and "ill" means "I'll" only before a verb: "id rather be dead", "ill do it tonight", but
# "my id card" and "I feel ill" stay as they are.
I_WOULD_BEFORE: Final = _list(
    "rather sooner be like love want have just never kill end die take go prefer better hang jump really"
    " probably honestly definitely been feel do not wish overdose hurt cut happily gladly actually make try"
    " finally walk drive swallow"
)
ILL_AFTER: Final = _list(
    "feel felt feeling was am is are be been so very really mentally terminally chronically seriously become"
    " became fall fell get got look looked looks too quite"
)

# "sh" means self-harm only next to one of these words ("sh urges", "relapsed on sh", "the urge to sh"),
# never on its own: "sh" is also a hush and the start of a swear word typed with a star ("sh*t").
SH_BEFORE: Final = _list(
    "urge urges again scars scar relapse relapsed thoughts free clean wounds cuts marks history recovery"
    " habit tools kit streak"
)
SH_AFTER: Final = _list(
    "to urge urges relapsed relapse from of about into did started stopped quit my wanna want without no"
    " days weeks months years avoid resist resisted i history"
)

# One slip of the keyboard (a letter missing, added, swapped or changed) from these words is read as the word.
# Checked against an English word list: only the real words below are that close, and they stay as written.
MISSPELT: Final[tuple[str, ...]] = ("suicide", "suicidal", "myself", "overdose", "overdosed", "overdosing")
NOT_MISSPELT: Final = _list("overdoes overdone overdoing")

_BOUNDARY: Final = "|"
_LONGEST_WORD: Final = 40  # a longer "word" is a pasted link or noise; it is kept as a placeholder
_TOKEN_RE: Final = re.compile(r"[^\W_]+(?:['&][^\W_]+)*|\|")
_INVISIBLE_RE: Final = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164"
    "\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb\U000e0000-\U000e0fff]"
)
_MARKS_RE: Final = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_APOSTROPHES_RE: Final = re.compile("[\u2018\u2019\u201a\u201b\u2032\u2035`\u00b4\u02bc\uff07]")
_OD_RE: Final = re.compile(r"\bo\.\s?d\b\.?", re.IGNORECASE)  # "o.d." for overdose
# A sentence ends at a new line, or at . ! ? before a capital letter or the end; other full stops are pauses.
_SENTENCE_END_RE: Final = re.compile(r"[\n\r\u2028\u2029|]|(?<![.!?])[.!?]++(?=\s++[A-Z]|\s*+$)")
_STRETCHED_RE: Final = re.compile(r"([^\W\d_])\1\1+")  # "dieeee", "killlll"


def _one_slip(word: str) -> set[str]:
    """Every spelling one keyboard slip away from word: a letter missing, added, swapped or changed."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    missing = {a + b[1:] for a, b in splits if b}
    swapped = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    changed = {a + c + b[1:] for a, b in splits if b for c in letters}
    added = {a + c + b for a, b in splits for c in letters}
    return missing | swapped | changed | added


_MISSPELLINGS: Final[dict[str, str]] = {
    slip: word for word in MISSPELT for slip in sorted(_one_slip(word)) if slip not in NOT_MISSPELT
} | {word: word for word in MISSPELT}


def _expand(word: str, following: str, previous: str) -> str:
    """Write one word out in full: contractions, texting forms, misspellings. Returns one or more words."""
    if word in SPELLED_OUT:
        return SPELLED_OUT[word]
    if word in _MISSPELLINGS:
        return _MISSPELLINGS[word]
    if word == "id" and following in I_WOULD_BEFORE and previous not in {"my", "your", "an", "the", "photo"}:
        return "i would"
    if word == "ill" and following in I_WOULD_BEFORE and previous not in ILL_AFTER:
        return "i will"
    if word == "sh" and (following in SH_BEFORE or (previous in SH_AFTER and following not in {"t", "it"})):
        return "selfharm"
    if word == "overdoes" and (previous in {"an", "a", "the"} or following == "on"):
        return "overdose"  # "an overdoes" is a misspelt overdose; "she overdoes it" is overdoing
    if "'" in word:
        stem, _, ending = word.partition("'")
        if ending == "t" and stem.endswith("n"):
            return f"{stem[:-1]} not"
        if ending == "s":
            return f"{stem} is" if stem in IS_AFTER else stem
        endings = {"m": "am", "re": "are", "ve": "have", "ll": "will", "d": "would"}
        if ending in endings:
            return f"{stem} {endings[ending]}"
        return word.replace("'", "")
    return word


def _unstretch(word: str) -> str:
    """Shrink a letter typed three or more times ("dieeee" -> "die", "killlll" -> "kill") to a known word."""
    double = _STRETCHED_RE.sub(r"\1\1", word)
    if double in _KNOWN:
        return double
    single = _STRETCHED_RE.sub(r"\1", word)
    return single if single in _KNOWN else double


def _words(text: str) -> list[str]:
    """The text as plain lower-case words, written out in full, with "|" for each sentence end."""
    text = unicodedata.normalize("NFKC", _INVISIBLE_RE.sub("", _APOSTROPHES_RE.sub("'", text)))
    text = _SENTENCE_END_RE.sub(" | ", _OD_RE.sub(" od ", text)).casefold()
    raw = _TOKEN_RE.findall(_MARKS_RE.sub("", unicodedata.normalize("NFD", text)))
    if _STRETCHED_RE.search(text):
        raw = [_unstretch(word) if _STRETCHED_RE.search(word) else word for word in raw]
    words: list[str] = []
    done = 0  # ordinary words are copied as they are; only the few below are rewritten
    for index in [
        i for i, word in enumerate(raw) if word in _RESPELT or "'" in word or len(word) > _LONGEST_WORD
    ]:
        words += raw[done:index]
        following = raw[index + 1] if index + 1 < len(raw) else ""
        word = (
            "_"
            if len(raw[index]) > _LONGEST_WORD
            else _expand(raw[index], following, words[-1] if words else "")
        )
        words += word.split()
        done = index + 1
    words += raw[done:]
    return _JOINED_RE.sub(lambda match: JOINED[match[1]] + " ", " " + " ".join(words) + " ").split()


# ------------------------------------------------------------------------------------------------------------
# The rule language, compiled to regular expressions over the words joined by single spaces. Every piece ends
# in a space and every gap is a bounded count of whole words, so matching time grows in step with the text.
# ------------------------------------------------------------------------------------------------------------

_SPECIAL: Final[dict[str, str]] = {".": r"\| ", "#": r"\d\w* ", "##": r"(?:[2-9]\d|[1-9]\d\d+)\w* "}


def _alternatives(item: str) -> str:
    """One item of a rule ("WANT/wish", "in_front_of") as a regular expression ending in a space."""
    parts: list[str] = []
    for choice in item.split("/"):
        if choice in _SPECIAL:
            parts.append(_SPECIAL[choice])
        elif choice in WORDS:
            parts.extend(re.escape(word) + " " for word in sorted(WORDS[choice], key=len, reverse=True))
        elif choice in PHRASES:
            parts.extend(_sequence(phrase) for phrase in PHRASES[choice])
        elif "_" in choice:  # words in a row: "in_front_of", "at_#", "NOT_wake"
            parts.append("".join(_alternatives(word) for word in choice.split("_")))
        elif choice.islower():
            parts.append(re.escape(choice) + " ")
        else:
            raise ValueError(f"unknown word list {choice!r} in a crisis rule")
    return "(?:" + "|".join(parts) + ")"


@cache
def _sequence(pattern: str) -> str:
    """A whole rule pattern as a regular expression."""
    pieces: list[str] = []
    for item in pattern.split():
        if item.startswith("~"):
            pieces.append(rf"(?:[^ |]+ ){{0,{int(item[1:])}}}")
        elif item.startswith("!"):
            pieces.append("(?!" + _alternatives(item[1:]) + ")")
        elif item.endswith("?"):
            pieces.append(_alternatives(item[:-1]) + "?")
        else:
            pieces.append(_alternatives(item))
    return "".join(pieces)


# Words too common to pick a rule out; a rule is looked up by a rarer word when it has one.
_COMMON: Final = _list("i to my the a it me not and of in on if do be am is was will would you have can so")


def _needs(choice: str) -> set[str]:
    """Words of which one must appear for this choice to match."""
    if choice in _SPECIAL:
        return {_BOUNDARY} if choice == "." else {"#"}
    if choice in WORDS:
        return {word.split()[-1] for word in WORDS[choice]}
    if choice in PHRASES:
        return set().union(*(_key_words(phrase) for phrase in PHRASES[choice]))
    if "_" in choice:
        return _needs([word for word in choice.split("_") if word not in _SPECIAL][-1])
    return {choice}


def _key_words(pattern: str) -> frozenset[str]:
    """Words of which one must appear for the pattern to match, taken from its most telling required item."""
    required = [
        item for item in pattern.split() if not item.startswith(("~", "!")) and not item.endswith("?")
    ]
    if not required:
        raise ValueError(f"the crisis rule {pattern!r} has no required word")
    choices = [frozenset(set().union(*(_needs(choice) for choice in item.split("/")))) for item in required]
    usable = [words for words in choices if "#" not in words] or choices
    return min(usable, key=lambda words: (len(words & (_COMMON | {_BOUNDARY})), len(words)))


def _all_words(patterns: Iterable[str]) -> set[str]:
    """Every word the rules mention, so a stretched word is only shrunk when that gives a known word."""
    found: set[str] = set()
    for pattern in patterns:
        for item in pattern.split():
            for choice in item.strip("!?").split("/"):
                if choice in WORDS:
                    found.update(word for phrase in WORDS[choice] for word in phrase.split())
                elif choice in PHRASES:
                    found |= _all_words(PHRASES[choice])
                elif "_" in choice:
                    found |= _all_words([choice.replace("_", " ")])
                else:
                    found.add(choice)
    return found


class _Compiled(NamedTuple):
    category: str
    needs: frozenset[str]  # the rule cannot match unless one of these words is in the sentence
    regex: re.Pattern[str]
    unless: frozenset[str] = frozenset()  # a quiet rule stays off when one of these words is in the sentence


def _compile(pattern: str, category: str, unless: frozenset[str] = frozenset()) -> _Compiled:
    return _Compiled(category, _key_words(pattern), re.compile("(?<= )" + _sequence(pattern)), unless)


def _by_word(rules: tuple[_Compiled, ...]) -> dict[str, tuple[int, ...]]:
    """For each key word, the numbers of the rules that need it: a sentence is checked against few rules."""
    numbers: dict[str, list[int]] = {}
    for number, rule in enumerate(rules):
        for word in rule.needs:
            numbers.setdefault(word, []).append(number)
    return {word: tuple(found) for word, found in numbers.items()}


def _rules_for(words: Iterable[str], by_word: dict[str, tuple[int, ...]]) -> list[int]:
    """The numbers, in order, of the rules whose key words appear among words."""
    return sorted({number for word in set(words) for number in by_word.get(word, ())})


_CRISIS: Final = tuple(_compile(rule.pattern, rule.category) for rule in CRISIS_RULES)
_QUIET: Final = tuple(_compile(rule.pattern, "", rule.unless) for rule in QUIET_RULES)
_ALWAYS: Final = WORDS["SUICIDE"] | WORDS["SELFHARM"] | WORDS["OVERDOSE"]  # never blanked by a quiet rule
_CRISIS_BY_WORD: Final = _by_word(_CRISIS)
_QUIET_BY_WORD: Final = _by_word(_QUIET)
_KNOWN: Final = frozenset(
    _all_words([rule.pattern for rule in CRISIS_RULES + QUIET_RULES]) | set(SPELLED_OUT)
)
_RESPELT: Final = frozenset(SPELLED_OUT) | frozenset(_MISSPELLINGS) | {"id", "ill", "sh", "overdoes"}
_JOINED_RE: Final = re.compile(
    "(?<= )(" + "|".join(re.escape(pair) for pair in sorted(JOINED, key=len)[::-1]) + ") "
)


def _sentences(words: list[str]) -> Iterator[str]:
    """Each sentence as " word word ... | ", the form the compiled rules read."""
    start = 0
    for index, word in enumerate([*words, _BOUNDARY]):
        if word == _BOUNDARY:
            if index > start:
                yield " " + " ".join(words[start:index]) + " | "
            start = index + 1


def _blank(match: re.Match[str]) -> str:
    """A quiet phrase's words blanked, all but the words that always alert ("my friend overdosed...")."""
    return "".join(word + " " if word in _ALWAYS else "_ " for word in match[0].split())


def crisis_category(text: str) -> str | None:
    """The C-SSRS category of the first crisis rule the text meets, or None when it meets none.

    Categories, most serious first: preparatory, plan, method, intent, self-injury, nonspecific-thoughts,
    wish-to-be-dead, direct. Everyday phrases in QUIET_RULES are set aside first, sentence by sentence.
    """
    found: str | None = None
    found_at = len(_CRISIS)
    for line in _sentences(_words(text)):
        words = line.split()
        for number in _rules_for(words, _QUIET_BY_WORD):
            if not _QUIET[number].unless.intersection(words):
                line = _QUIET[number].regex.sub(_blank, line)
        for number in _rules_for(line.split(), _CRISIS_BY_WORD):
            if number >= found_at:
                break
            if _CRISIS[number].regex.search(line):
                found, found_at = _CRISIS[number].category, number
                break
        if found_at == 0:
            break
    return found


def crisis_language(text: str) -> bool:
    """True when the text suggests thoughts of suicide or self-harm, so crisis help must be shown now.

    Figures of speech and pain talk ("this pain is killing me", "I'm dying to try this", "I hurt my knee")
    do not alert. Errs on the side of showing help: the patient sees calm crisis information, nothing more.
    """
    return crisis_category(text) is not None
