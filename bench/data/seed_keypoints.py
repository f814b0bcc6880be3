"""Key points of the five seed posts, written by digestbot's developers from reading them.

This is our own annotation, not a public data set: for each post, the points a reader would
name when asked what the post is about, each with ``evidence``: exact phrases of the post body
(any one of them in a summary sentence means the sentence states the point). ``avoid`` lists
sentences a reader would not want as a summary line (preambles, greetings, scene-setting,
sentences that point at nothing, sign-offs). ``engage`` and ``off_topic`` list comment refs:
comments that take up the post's points, and gossip, pasted news or notices, jokes and asides
that do not. Written before the summariser was tuned; see ``eval/README.md``.
"""

from __future__ import annotations

from typing import Any

SEEDS: dict[str, dict[str, Any]] = {
    "000_63c8db97991e146f": {
        "key_points": [
            (
                "The call to accept TR as a done deal was not shared by most practitioners; "
                "the Chair is not happy with TR and will keep challenging it.",
                [
                    "was not shared by the majority of the audience",
                    "I am not happy with the TR revolution",
                    "seek to challenge its tenets",
                ],
            ),
            (
                "The Probation Institute will support practitioners' professional aspirations "
                "and development in spite of TR.",
                [
                    "support all practitioners to maintain their professional aspirations",
                    "We want to support their professional development",
                ],
            ),
            (
                "Practitioners remain committed to service users and good practice despite TR.",
                [
                    "remained committed to their service users",
                    "practitioners still wanted to engage, develop and share their knowledge",
                    "with a commitment to good professional practice",
                ],
            ),
            (
                "Research and evidence-informed practice are key to probation's future.",
                [
                    "Maintaining such evidence-informed practices is key",
                    "a commitment to research and using evidence to inform practice",
                ],
            ),
            (
                "A new Position Paper on Training and Professional Development; CPD as a right.",
                [
                    "new Position Paper on Training and Professional Development",
                    "see CPD as a right",
                ],
            ),
        ],
        "avoid": [
            "Here is the latest blog post from the Chair of the Probation Institute:-",
            "A Comment from the Practitioners Conference – Paul Senior",
            "Or is it?",
            "But what of the title of this blog and the challenge it contains.",
            "So to return to the opening quote.",
            "Paul Senior",
        ],
        "engage": ["1", "2", "4", "6", "7", "8", "10"],
        "off_topic": ["5.1", "5.2"],
    },
    "001_5f742a47d0832f90": {
        "key_points": [
            (
                "Over-emphasis on speed in court reports is damaging.",
                ["Over emphasis on speed", "a preoccupation with speed prevents report writers"],
            ),
            (
                "Confidence in community sentences has taken a battering and must be rebuilt.",
                [
                    "Confidence in community sentences has taken a (another) battering",
                    "strengthen confidence in and resources for community sentences",
                    "in restoring sentencers' confidence",
                ],
            ),
            (
                "The voluntary sector's contribution is getting lost in bureaucracy and lost "
                "funding.",
                [
                    "The contribution to rehabilitation by the voluntary sector",
                    "what the voluntary sector can contribute",
                    "in re-engaging with the voluntary sector",
                ],
            ),
            (
                "The contribution of people with lived experience of criminal justice.",
                ["The contribution of those with lived experience"],
            ),
            (
                "The Probation Institute does not believe probation should be a divided service.",
                ["should be delivered through a divided service"],
            ),
        ],
        "avoid": [
            "It's been some time since we heard from the Probation Institute, so thanks go to "
            "the reader for forwarding the following communication:-",
            "Dear Readers",
            "On Monday 2nd July the Probation Institute hosted the third Probation Practitioner "
            "Conference at Resource for London followed by the Community Justice Portal "
            "Lecture.",
            "Richard Rowley very successfully organised the event with the cross sector "
            "Steering Group.",
            "A number of important themes stood out;",
        ],
        "engage": ["1", "3", "4", "5", "6", "7"],
        "off_topic": ["10", "11", "12", "12.2", "13", "14", "15", "16", "16.7", "16.8", "17"],
    },
    "002_078d3ae7caec7a9d": {
        "key_points": [
            (
                "Probation is losing the expertise of its staff and leaders.",
                [
                    "The loss of expertise of probation staff",
                    "Expertise will be lost",
                    "lose 13 out of its 35 chief execs",
                ],
            ),
            (
                "TR is ideology that ignores the evidence and the warnings of committees and "
                "academics.",
                [
                    "should the government not listen",
                    "Many academics have spoken against these changes",
                    "TR is too risky, dangerous and should be abandoned",
                    "policy driven evidence not evidence informed policy",
                    "a deep ideological commitment to outsourcing",
                ],
            ),
            (
                "Splitting the service fragments risk management and information exchange.",
                [
                    "risk of fragmentation in new split",
                    "complex, fragmented change exacerbate this",
                    "fragmentation in supervision would increase the complexity",
                    "will produce silos",
                ],
            ),
            (
                "Private providers answer to shareholders; payment by results invites gaming.",
                [
                    "can they get inside what probation really is",
                    "manage the expectations of their shareholders",
                    "PBR has always produced gaming",
                    "hollowing out of the state experienced by multiple outsourcing",
                ],
            ),
            (
                "Probation is a respected, unique profession that a just state must keep public.",
                [
                    "probation is revered around the world",
                    "a unique profession",
                    "Probation training is a high quality",
                    "a just state must have public probation",
                ],
            ),
            (
                "A call to keep fighting the changes.",
                ["continue to fight these changes"],
            ),
        ],
        "avoid": [
            "This is the second batch of consolidated tweets from Professor Paul Senior, "
            "published by him on the first operational day of TR and as part of his mammoth "
            "'tweetathon'.",
            "83/107: If you know a member of the probation service go across and hug them today "
            "they need it!",
            "(Martin Luther King Jnr).",
        ],
        "engage": ["1", "10", "12", "12.1", "16"],
        "off_topic": ["4", "5.1", "5.4", "7.3", "7.4", "9", "11.1"],
    },
    "003_15a94c804d3a0ae1": {
        "key_points": [
            (
                "People with little knowledge of probation lecture those who do the work.",
                [
                    "people trying to write or talk authoritatively about your line of work",
                    "people who have a limited grasp on what probation is about",
                ],
            ),
            (
                "A former chief officer: probation has been destroyed and lies in ruins.",
                [
                    "the probation service is in ruins",
                    "probation has been systematically destroyed",
                    "Now it lies in ruins",
                    "government has split the probation service in two",
                    "budget cuts and job losses have drained the lifeblood",
                ],
            ),
            (
                "Gove keeps presenting TR as a success despite the evidence.",
                [
                    "keep repeating what a roaring success TR is",
                    "pretending the emperor is fully clothed",
                    "reversing all his key policies, bar one of course, that of TR",
                    "appreciate the folly TR has been",
                ],
            ),
            (
                "Reform: TR's roll-out is slow and faces five challenges.",
                [
                    "the roll out of TR remains slow",
                    "five key challenges",
                    "TR has not yet delivered the revolution it promised",
                    "has proved problematic",
                ],
            ),
            (
                "The ministers claim short-sentence prisoners now get support on release.",
                [
                    "almost all offenders now receive targeted support on release",
                    "released with £46 in their pockets",
                    "offenders who leave prison each year after serving a sentence of less than "
                    "12 months",
                ],
            ),
        ],
        "avoid": [
            "Like this in fact on the right-wing Reform website from last December.",
            "I was particularly irked by this bit:-",
            "Transforming Rehabilitation: evolution not revolution 9 December 2015",
            "Published on Jun 19, 2015",
            "Elizabeth Crowhurst, Researcher, Reform",
            "Mike Worthington",
        ],
        "engage": ["1", "2", "7", "8", "12", "13"],
        "off_topic": ["5.2", "5.3", "5.4", "8.6", "14"],
    },
    "004_ef1d1aa6b437a289": {
        "key_points": [
            (
                "Privately run community sentences (CRCs) are 'definitely not probation'.",
                [
                    "it's definitely not probation",
                    "CRC owners simply don't understand probation",
                    "if it's definitely not probation, what is it?",
                ],
            ),
            (
                "CRC websites are management-speak that never mentions probation.",
                ["new management-speak crap", "the word 'probation' is never mentioned"],
            ),
            (
                "The frontline reality: a public service destroyed, staff treated badly and "
                "leaving.",
                [
                    "mindless destruction of a public service that wasn't broken",
                    "Good staff treated appallingly",
                    "looking for another job",
                    "bombarded with demands/threats",
                ],
            ),
        ],
        "avoid": [
            "Frances Crook of the Howard League tweeted this the other day:-",
            "It was subsequently retweeted by shadow justice minister Jo Stevens MP, adding:-",
            "--oo00oo--",
            "Meanwhile, the reality:-",
        ],
        "engage": ["1", "2", "3", "6", "6.2", "7", "7.1", "7.5", "11"],
        "off_topic": ["7.10", "7.11", "9", "10", "17", "18", "18.1"],
    },
}
